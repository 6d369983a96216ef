"""Rupor's side of a sending benchmark, wired as `rupor run` wires it (bots/suite.py):
the real adapters built from settings, Rupor's own WebServer (Viber needs its webhook),
one core ChannelSender per channel, a real SQLite file.

Inbound polling (Telegram getUpdates, VK long poll) is not started: the benchmark measures
sending, and the members' /start updates queued in the emulator would otherwise turn
into welcome replies that share the pacer with the leaflet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.pacing import Calls, LoopLag, time_calls
from bench.platforms import TELEGRAM_TOKEN, VIBER_TOKEN, Platforms
from bots import texts
from bots.registry import capabilities, configured
from bots.suite import freeze_heap, thaw_heap
from bots.transport import ChannelDeps, WebhookReceiver
from bots.webhooks import WebServer
from core.config import SendingSettings, Settings, settings_from_mapping
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import Capabilities, Channel
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.storage.engine import create_engine
from core.storage.models import Delivery
from core.storage.state import DbStateStore

STALL_S = 60.0  # no delivery recorded for this long: the benchmark gives up


def settings_for(url: str, platforms: Platforms, channels: list[str],
                 telegram_ceiling: int = 30, token: str = TELEGRAM_TOKEN) -> Settings:
    """Settings that point each adapter at its emulator (default limits everywhere)."""
    from sandbox.vk import VkKnobs

    vk = VkKnobs()
    data: dict[str, Any] = {
        "database": {"url": url},
        "server": {"host": "127.0.0.1", "port": 0},
        "sending": {"telegram_ceiling": telegram_ceiling},
    }
    if "telegram" in channels:
        data["telegram"] = {"token": token, "api_base": platforms.base("telegram")}
    if "vk" in channels:
        data["vk"] = {"token": vk.group_token, "group_id": vk.group_id,
                      "api_base": platforms.base("vk")}
    if "viber" in channels:
        data["viber"] = {"token": VIBER_TOKEN, "api_base": platforms.base("viber")}
    return settings_from_mapping(data, source="<bench>", environ={})


@dataclass
class Rupor:
    """The engine, channels and (for Viber) the web server of one benchmark run."""

    settings: Settings
    engine: AsyncEngine
    reader: AsyncEngine
    channels: dict[str, Channel] = field(default_factory=dict)
    server: WebServer | None = None

    @classmethod
    async def open(cls, settings: Settings) -> Rupor:
        url = settings.database.url
        engine = create_engine(url)
        rupor = cls(settings, engine, create_engine(url, readonly=True))
        inbox = Inbox(engine, Dialogs(texts.DIALOG).handle)
        public_url = None
        if settings.viber is not None:
            rupor.server = WebServer(rupor.reader, inbox.receive)
            public_url = await rupor.server.start("127.0.0.1", 0)
        deps = ChannelDeps(public_url=public_url, state=DbStateStore(engine),
                           http_timeout_s=settings.sending.http_timeout_seconds)
        for name, kind in configured(settings).items():
            rupor.channels[name] = kind.build(settings, deps)
        if rupor.server is not None:
            receivers = [c for c in rupor.channels.values() if isinstance(c, WebhookReceiver)]
            rupor.server.add_receivers(receivers)
            await rupor.channels["viber"].start(inbox.receive)  # set_webhook, checked at once
        freeze_heap()  # as rupor run does once it has started
        return rupor

    def capabilities(self) -> dict[str, Capabilities]:
        return capabilities(self.settings)

    def policy(self, name: str) -> Policy:
        sending = self.settings.sending
        return Policy(max_attempts=sending.max_attempts,
                      resend_uncertain=sending.uncertain_policy == "resend",
                      idempotent=self.channels[name].capabilities.idempotent_sends,
                      backoff_base_s=sending.retry_backoff_seconds)

    async def send_all(self, totals: Mapping[str, int]) -> SendResult:
        """Every channel's sender, configured as `rupor run` configures it, until done."""
        policies = {name: self.policy(name) for name in self.channels}
        return await send_all(self.engine, self.channels, policies, totals,
                              self.settings.sending, reader=self.reader)

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        if self.server is not None:
            await self.server.close()
        await self.reader.dispose()
        await self.engine.dispose()
        thaw_heap()


@dataclass
class SendResult:
    """Per channel: seconds from the senders' start until its last delivery was recorded."""

    elapsed_s: dict[str, float]
    statuses: dict[str, dict[str, int]]
    stalled: bool
    pauses: dict[str, int] = field(default_factory=dict)  # retry_after pauses per channel
    calls: dict[str, Calls] = field(default_factory=dict)  # (start, answer) of every call
    loop: dict[str, float | None] = field(default_factory=dict)  # event-loop lag


def _recorded(sender: ChannelSender) -> int:
    return sum(sum(c.values()) - c.get("retry_after", 0) for c in sender.progress.values())


async def send_all(engine: AsyncEngine, channels: Mapping[str, Channel],
                   policies: Mapping[str, Policy], totals: Mapping[str, int],
                   sending: SendingSettings | None = None,
                   reader: AsyncEngine | None = None) -> SendResult:
    """Run one ChannelSender per channel until each recorded its total (or stalled); the
    lease and the wave cap come from `[sending]` (its defaults when not given)."""
    sending = sending or SendingSettings()
    senders = {n: ChannelSender(engine, c, policies[n], lease_s=sending.lease_seconds,
                                max_wave=sending.batch_size, reader=reader)
               for n, c in channels.items()}
    calls: dict[str, Calls] = {n: [] for n in channels}
    for name, channel in channels.items():
        time_calls(channel, calls[name])
    lag = LoopLag()
    lag.start()
    stop = asyncio.Event()
    began = time.perf_counter()
    tasks = [asyncio.create_task(s.run(stop), name=f"bench-{n}") for n, s in senders.items()]
    done: dict[str, float] = {}
    last_count, last_change = -1, began
    while len(done) < len(senders):
        await asyncio.sleep(0.05)
        now = time.perf_counter()
        counts = {n: _recorded(s) for n, s in senders.items()}
        for name, count in counts.items():
            if name not in done and count >= totals[name]:
                done[name] = now - began
        if sum(counts.values()) != last_count:
            last_count, last_change = sum(counts.values()), now
        if now - last_change > STALL_S or any(t.done() for t in tasks):
            break
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    loop = await lag.stop()
    pauses = {n: s.pacer.pauses for n, s in senders.items()}
    return SendResult(done, await run_statuses(engine), len(done) < len(senders), pauses,
                      calls, loop)


async def run_statuses(engine: AsyncEngine) -> dict[str, dict[str, int]]:
    """Deliveries per channel and status, from the ledger."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(Delivery.channel, Delivery.status, func.count())
            .group_by(Delivery.channel, Delivery.status))
        found: dict[str, dict[str, int]] = {}
        for channel, status, count in rows.all():
            found.setdefault(str(channel), {})[str(status)] = int(count)
        return found
