"""7. Chat: how fast the press secretary is answered while everything broadcasts, and how
soon a scheduled run starts sending — both through `rupor run`'s own Suite (bots/suite.py:
getUpdates polling, the inbox, the chat layer, the paced senders, the scheduler).

(a) Commands under load. A leaflet to every member of all three channels is materialised,
then the Suite starts and broadcasts it at each platform's ceiling; meanwhile several
press-secretary accounts write /plan and /audience to the Telegram bot, each waiting for its
answer and then 1.2 s (Telegram allows one message a second per chat). The latency of one
command is timed inside the Telegram emulator's process (bench.chat_probe): from the
command entering its update queue, where the Suite's waiting getUpdates takes it at once,
to the bot's answer accepted in that chat. Goal: p99 <= 300 ms. The figure also gives each
channel's accepted messages per second over the same window, to show all three were at
their ceilings.

(b) First send of a scheduled run. With the Suite running, a campaign is created for a
moment T a couple of seconds ahead (quiet hours off) and the real scheduler service starts
it; the delay from T to the first message of that campaign accepted by the emulator, both
wall-clock times on this machine. Goal: <= 2 s (APScheduler's wake-up, materialising and the
sender's pick-up).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import insert, update

from bench.ceiling import CEILINGS, PREFIX, ceiling_per_s
from bench.db import Cohort, fresh_database, populate, prepare_run
from bench.harness import Context, figure, note, percentile, rounded
from bench.platforms import TELEGRAM_TOKEN, VIBER_TOKEN, Platforms
from bots.registry import capabilities
from bots.suite import Suite
from core.access.grants import grant
from core.access.rules import Role
from core.campaigns.store import NewCampaign, create_campaign
from core.config import Settings, settings_from_mapping
from core.storage.engine import create_engine
from core.storage.models import Campaign, Contact
from sandbox.runconfig import free_port

GOAL_P99_S = 0.300
GOAL_FIRST_SEND_S = 2.0
CHAT_GAP_S = 1.2  # Telegram: one message a second per chat
ANSWER_TIMEOUT_S = 15.0
LEAD_S = 2.5  # a scheduled run is created this long before its time
FIRST_ID = {"telegram": 100_000, "vk": 1_000_000, "viber": 10_000_000}
PRESS_FIRST_ID = 900_001
COMMANDS = ("/plan", "/audience")


def suite_settings(url: str, platforms: Platforms, channels: list[str]) -> Settings:
    """`rupor run`'s settings: Telegram polling, VK long poll, Viber's webhook on loopback."""
    from sandbox.vk import VkKnobs

    vk, port = VkKnobs(), free_port()
    data: dict[str, Any] = {
        "database": {"url": url},
        "server": {"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        "scheduler": {"quiet_hours": ""},
        "telegram": {"token": TELEGRAM_TOKEN, "api_base": platforms.base("telegram")},
    }
    if "vk" in channels:
        data["vk"] = {"token": vk.group_token, "group_id": vk.group_id,
                      "api_base": platforms.base("vk")}
    if "viber" in channels:
        data["viber"] = {"token": VIBER_TOKEN, "api_base": platforms.base("viber")}
    return settings_from_mapping(data, source="<bench>", environ={})


async def add_press(url: str, accounts: list[int]) -> None:
    """Telegram accounts with the press role and a contact (they wrote to the bot once)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for account in accounts:
                await conn.execute(insert(Contact).values(
                    channel="telegram", external_id=str(account), status="active"))
                await grant(conn, "telegram", str(account), Role.PRESS, "bench")
    finally:
        await engine.dispose()


async def drop_pending_updates(platforms: Platforms) -> None:
    """The members' /start updates the emulator queued while registering them are not
    what is measured: dropped as a bot does (deleteWebhook drop_pending_updates)."""
    url = f"{platforms.base('telegram')}/bot{TELEGRAM_TOKEN}/deleteWebhook"
    async with aiohttp.ClientSession() as session, \
            session.post(url, data={"drop_pending_updates": "true"}) as response:
        response.raise_for_status()


class Running:
    """The Suite running in this process until `stop()`."""

    def __init__(self, settings: Settings) -> None:
        self.suite, self.stopping = Suite(settings), asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def start(self, channels: int) -> Suite:
        self.task = asyncio.create_task(self.suite.run(self.stopping), name="bench-suite")
        deadline = time.monotonic() + 120
        while len(self.suite.senders) < channels or self.suite.chat is None:
            if self.task.done() or time.monotonic() > deadline:
                self.task.result()
                raise RuntimeError("the suite did not start its senders")
            await asyncio.sleep(0.05)
        return self.suite

    async def stop(self) -> None:
        self.stopping.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 60)


async def _get(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    async with session.get(url, params=params) as response:
        response.raise_for_status()
        return await response.json()


async def _accepted(session: aiohttp.ClientSession, platforms: Platforms) -> dict[str, int]:
    found = {}
    for name in platforms.ready:
        if name != "setup_s":
            stats = await _get(session, f"{platforms.base(name)}/__sandbox/stats")
            found[name] = int(stats.get("accepted_messages_total", 0))
    return found


async def _account(session: aiohttp.ClientSession, base: str, user: int, until: float
                   ) -> int:
    """One press account asks in turn until `until`; returns how many commands it sent."""
    sent = 0
    while time.monotonic() < until:
        body = {"user_id": user, "text": COMMANDS[sent % len(COMMANDS)]}
        waited = time.monotonic()
        while True:
            async with session.post(f"{base}/__bench/ask", json=body) as response:
                if (await response.json())["ok"]:
                    break
            if time.monotonic() - waited > ANSWER_TIMEOUT_S:
                return sent  # the last answer never came: counted as unanswered
            await asyncio.sleep(0.05)
        sent += 1
        await asyncio.sleep(CHAT_GAP_S)
    return sent


async def _ask(platforms: Platforms, press: list[int], window_s: float
               ) -> tuple[int, list[dict[str, Any]], dict[str, float]]:
    base = platforms.base("telegram")
    async with aiohttp.ClientSession() as session:
        before, began = await _accepted(session, platforms), time.monotonic()
        until = began + window_s
        sent = await asyncio.gather(*(_account(session, base, u, until) for u in press))
        after, spent = await _accepted(session, platforms), time.monotonic() - began
        answers = await _get(session, f"{base}/__bench/answers")
        while len(answers) < sum(sent) and time.monotonic() - began < window_s + 20:
            await asyncio.sleep(0.1)  # the last answers, still under load
            answers = await _get(session, f"{base}/__bench/answers")
    rates = {name: (after[name] - before[name]) / spent for name in after}
    return sum(sent), answers, rates


def _sizes(ctx: Context) -> dict[str, int]:
    """Enough members for each channel to send at its ceiling through the whole window."""
    seconds = _window(ctx) + 4
    return {name: int(ctx.mode.pick(2, seconds, seconds) * ceiling_per_s(name)[0])
            for name in CEILINGS}


def _window(ctx: Context) -> float:
    return float(ctx.mode.pick(3, 6, 60))


async def commands_under_load(ctx: Context) -> None:
    sizes, press = _sizes(ctx), [PRESS_FIRST_ID + i for i in range(int(ctx.mode.pick(2, 4, 6)))]
    directory = ctx.subdir("chat-commands")
    url = await fresh_database(directory)
    await populate(url, [Cohort(n, sizes[n], FIRST_ID[n], PREFIX[n]) for n in sizes])
    await add_press(url, press)
    spec: dict[str, Any] = {n: {"users": sizes[n], "first_id": FIRST_ID[n]} for n in sizes}
    spec["telegram"]["probe"] = press
    platforms = await Platforms.start(spec, directory / "emulators.log")
    try:
        settings = suite_settings(url, platforms, list(sizes))
        engine = create_engine(url)
        run = await prepare_run(engine, capabilities(settings))
        await engine.dispose()
        note(f"chat/commands: {run.deliveries:,} deliveries; starting the suite")
        await drop_pending_updates(platforms)
        running = Running(settings)
        await running.start(len(sizes))
        try:
            await asyncio.sleep(1.0)  # every sender at its pace
            sent, answers, rates = await _ask(platforms, press, _window(ctx))
        finally:
            await running.stop()
    finally:
        await platforms.close()
    ctx.emit(_commands_figure(sent, answers, rates, len(press)))


def _commands_figure(sent: int, answers: list[dict[str, Any]], rates: dict[str, float],
                     accounts: int) -> dict[str, Any]:
    latencies = [float(a["latency_s"]) for a in answers]
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    shown = {n: f"{rates[n]:,.0f}/{ceiling_per_s(n)[0]:,.0f}" for n in sorted(rates)}
    met = None if p99 is None else p99 <= GOAL_P99_S and len(answers) == sent
    return figure(
        "chat", "command answers while all three broadcast",
        f"p99 <= {GOAL_P99_S * 1000:.0f} ms, every command answered", met,
        commands=sent, answered=len(answers), accounts=accounts,
        p50_ms=rounded(p50 and p50 * 1000, 1), p99_ms=rounded(p99 and p99 * 1000, 1),
        max_ms=rounded(max(latencies, default=0) * 1000, 1),
        by_command={c: rounded(percentile([float(a["latency_s"]) for a in answers
                                           if a["text"] == c], 0.99), 3) for c in COMMANDS},
        broadcast_per_s={n: rounded(r, 1) for n, r in rates.items()},
        summary=f"p50 {_ms(p50)}, p99 {_ms(p99)} "
                f"({len(answers)}/{sent} answered; msgs/s meanwhile "
                + ", ".join(f"{n} {v}" for n, v in shown.items()) + ")")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


async def _schedule(url: str, settings: Settings, marker: str, at: float) -> int:
    engine = create_engine(url)
    try:
        campaign_id = await create_campaign(engine, NewCampaign(
            text=f"{marker}: собрание профактива", title=marker, channels=("telegram",),
            run_at=datetime.fromtimestamp(at, UTC), created_by="bench"), capabilities(settings))
        async with engine.begin() as conn:
            await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                               .values(quiet_hours=""))
        return campaign_id
    finally:
        await engine.dispose()


async def _first_send(url: str, settings: Settings, platforms: Platforms, marker: str
                      ) -> float | None:
    at = time.time() + LEAD_S
    await _schedule(url, settings, marker, at)
    route = f"{platforms.base('telegram')}/__bench/first_after"
    async with aiohttp.ClientSession() as session:
        while time.time() < at + 15:
            found = (await _get(session, route, at=str(at), marker=marker))["first"]
            if found is not None:
                return float(found) - at
            await asyncio.sleep(0.02)
    return None


async def scheduled_first_send(ctx: Context) -> None:
    members, repeats = 30, int(ctx.mode.pick(1, 3, 10))
    directory = ctx.subdir("chat-first-send")
    url = await fresh_database(directory)
    await populate(url, [Cohort("telegram", members, FIRST_ID["telegram"], "T")])
    spec = {"telegram": {"users": members, "first_id": FIRST_ID["telegram"],
                         "probe": [PRESS_FIRST_ID]}}
    platforms = await Platforms.start(spec, directory / "emulators.log")
    delays: list[float | None] = []
    try:
        settings = suite_settings(url, platforms, ["telegram"])
        await drop_pending_updates(platforms)
        running = Running(settings)
        await running.start(1)
        try:
            for i in range(repeats):
                delays.append(await _first_send(url, settings, platforms, f"Листок №{i + 1}"))
                await asyncio.sleep(members / 30 + 0.5)  # its members have it
        finally:
            await running.stop()
    finally:
        await platforms.close()
    ctx.emit(_first_send_figure(delays))


def _first_send_figure(delays: list[float | None]) -> dict[str, Any]:
    found = [d for d in delays if d is not None]
    worst = max(found, default=None)
    met = None if worst is None else worst <= GOAL_FIRST_SEND_S and len(found) == len(delays)
    return figure(
        "chat", "scheduled run: time to first send", f"<= {GOAL_FIRST_SEND_S:.0f} s", met,
        runs=len(delays), started=len(found), delays_s=[rounded(d, 3) for d in delays],
        median_s=rounded(percentile(found, 0.5)), max_s=rounded(worst),
        summary=f"first message {', '.join(f'{d:.2f}' for d in found)} s after the "
                f"scheduled time ({len(found)}/{len(delays)} runs)")


async def run(ctx: Context) -> None:
    await commands_under_load(ctx)
    await scheduled_first_send(ctx)
