"""`rupor run`: the composition root of the whole suite — channels, webhooks or polling,
one sender per channel account, the inbox, resumed runs, the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bots import texts
from bots.chat.notices import PressNotices
from bots.chat.poll_notices import PollNotices
from bots.chat.router import ChatRouter, StaffAccounts
from bots.chat.service import ChatService
from bots.chat.staff_chat import desk_for
from bots.chat.turn import ChatContext
from bots.digest.approval import deliverer
from bots.digest.monthly import MonthlyDigest
from bots.logs import redact_secrets, setup_logging
from bots.ops import Operations
from bots.registry import capabilities, configured
from bots.startup import Backoff, ChannelStarter, ChannelState, ChannelStatus
from bots.transport import ChannelDeps, StartFailure, WebhookReceiver
from bots.webhooks import WebServer
from core.config import Settings, SettingsError
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.polls.announce import StaffPost
from core.ports import Channel, EventHandler
from core.sending import outbox
from core.sending.dispatch import ChannelSender
from core.sending.outage import Fault, ProbeBackoff
from core.sending.outbox import Policy
from core.sending.runs import materialise, unfinished_materialising
from core.staff.news import tell_channel
from core.storage.engine import create_engine
from core.storage.state import DbStateStore
from core.storage.trouble import persist
from scheduler.service import SchedulerService, settings_rules

log = logging.getLogger("rupor.suite")

IDLE_CHECK_S = 0.5

# What `rupor run` says when a configured channel lacks a setting it cannot start without.
NEEDS_PUBLIC_URL_VIBER = (
    "[server] public_url: обязателен для Viber — укажите HTTPS-адрес, по которому Viber "
    "достучится до этого сервера (вебхук и файлы рассылок), или уберите раздел [viber]"
)
NEEDS_PUBLIC_URL_TELEGRAM = (
    "[server] public_url: обязателен для [telegram] mode = \"webhook\" — укажите HTTPS-адрес "
    "этого сервера или выберите mode = \"polling\""
)
NEEDS_TELEGRAM_SECRET = (
    "[telegram] webhook_secret: обязателен при mode = \"webhook\" (1-256 символов A-Za-z0-9_-)"
)
NEEDS_VK_SECRET = "[vk] secret: обязателен при mode = \"callback\" (секретный ключ Callback API)"


def freeze_heap() -> None:
    """Leave everything alive now (a started suite) out of later garbage collections.

    The imported SDKs and their pydantic schemas are some 270,000 tracked objects that live
    as long as the process; a full collection walked them all (0.3-0.5 s of a paused event
    loop, several times a minute while sending 1,000 Telegram messages a second).
    """
    gc.collect()
    gc.freeze()


def thaw_heap() -> None:
    """Collect the frozen objects normally again (a stopped suite: its own may be garbage)."""
    gc.unfreeze()


def needs_server(settings: Settings) -> bool:
    """Viber always calls back and fetches media; TG and VK only in webhook modes; and
    [server] metrics serves /healthz and /metrics."""
    return (
        settings.server.metrics
        or settings.viber is not None
        or (settings.telegram is not None and settings.telegram.mode == "webhook")
        or (settings.vk is not None and settings.vk.mode == "callback")
    )


def check_run_settings(settings: Settings) -> None:
    """Raise SettingsError, one line naming the key, when a configured channel lacks a
    setting it cannot start without (rather than registering a loopback address)."""
    public_url = settings.server.public_url
    telegram_hook = settings.telegram is not None and settings.telegram.mode == "webhook"
    needs = (
        (settings.viber is not None and not public_url, NEEDS_PUBLIC_URL_VIBER),
        (telegram_hook and not public_url, NEEDS_PUBLIC_URL_TELEGRAM),
        (telegram_hook and not (settings.telegram and settings.telegram.webhook_secret),
         NEEDS_TELEGRAM_SECRET),
        (settings.vk is not None and settings.vk.mode == "callback" and not settings.vk.secret,
         NEEDS_VK_SECRET),
    )
    for missing, text in needs:
        if missing:
            raise SettingsError(text)


@dataclass
class Suite:
    settings: Settings
    engine: AsyncEngine | None = None
    channels: dict[str, Channel] = field(default_factory=dict)
    senders: dict[str, ChannelSender] = field(default_factory=dict)
    server: WebServer | None = None
    reader: AsyncEngine | None = None
    inbox: Inbox | None = None
    on_progress: Callable[[Suite], None] | None = None
    start_backoff: Backoff = field(default_factory=Backoff)  # retries of a channel's start
    probe_backoff: ProbeBackoff = field(default_factory=ProbeBackoff)  # a running one's outage
    starter: ChannelStarter | None = field(default=None, init=False)
    scheduler: SchedulerService | None = field(default=None, init=False)
    digest: MonthlyDigest | None = field(default=None, init=False)
    chat: ChatService | None = field(default=None, init=False)  # staff commands, /post
    ops: Operations | None = field(default=None, init=False)  # /healthz, /metrics
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _sender_tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _ready: bool = field(default=False, init=False)

    def settled_channels(self) -> list[str] | None:
        """The running channels once every channel has started or failed (None before):
        with --until-idle, a channel that is down does not keep the others waiting."""
        statuses = self.status()
        if not statuses:
            return list(self.channels)
        if any(s.state == ChannelState.STARTING for s in statuses.values()):
            return None
        return [name for name, s in statuses.items() if s.state == ChannelState.RUNNING]

    def down_channels(self) -> list[str]:
        """Configured channels that are not running (their deliveries still wait)."""
        return [n for n, s in self.status().items() if s.state != ChannelState.RUNNING]

    def status(self) -> dict[str, ChannelStatus]:
        """Each configured channel's state: starting, running, or failed with the reason."""
        return dict(self.starter.statuses) if self.starter is not None else {}

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Run until `stop` is set (or, with until_idle, until nothing is left to send).
        A channel that cannot start is retried in the background; SettingsError if one
        lacks a required setting."""
        from core.storage.schema import ensure_schema

        check_run_settings(self.settings)
        self._stop = stop
        url = self.settings.database.url
        own_engine = self.engine is None
        self.engine = self.engine or create_engine(url)
        # Reads (leaflets for Viber, the idle check) must not take SQLite's write lock.
        self.reader = create_engine(url, readonly=True)
        await ensure_schema(self.engine, url)
        try:
            await self._start()
            watcher = asyncio.create_task(self._watch(stop, until_idle))
            await stop.wait()
            await self._stop_scheduler()
            if self.starter is not None:
                await self.starter.close()
            await asyncio.gather(*self._sender_tasks)
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        finally:
            await self._stop_scheduler()
            await self._close()
            await self.reader.dispose()
            if own_engine:
                await self.engine.dispose()

    async def _start(self) -> None:
        assert self.engine is not None
        dialogs, staff = Dialogs(texts.DIALOG), StaffAccounts()
        self.chat = ChatService(ChatContext(
            self.engine, self.reader or self.engine, capabilities(self.settings),
            ZoneInfo(self.settings.scheduler.timezone), dialogs, self.channels, self.senders,
            desk=desk_for(self.settings, self.engine, self.reader or self.engine, self.senders),
            two_person_rule=self.settings.staff.two_person_rule,
            bridge=self.settings.staff.bridge,
        ), staff, on_replies=self._wake_senders)
        await self.chat.refresh_staff()  # before stored updates are routed
        self.inbox = Inbox(self.engine, ChatRouter(dialogs, staff), after_commit=self._wake_all)
        self.ops = Operations(self.reader or self.engine, self.status, self.senders,
                              self._next_fire, lambda: self.inbox)
        receive = self.ops.inbound.counting(self.inbox.receive)
        if needs_server(self.settings):
            await self._start_server(receive)
        deps = ChannelDeps(
            public_url=self.settings.server.public_url, state=DbStateStore(self.engine),
            http_timeout_s=self.settings.sending.http_timeout_seconds,
        )
        for name, kind in configured(self.settings).items():
            self.channels[name] = kind.build(self.settings, deps)
        if self.server is not None:
            receivers = [c for c in self.channels.values() if hasattr(c, "handle_webhook")]
            self.server.add_receivers([r for r in receivers if isinstance(r, WebhookReceiver)])
        self.starter = ChannelStarter(self.channels, receive, self._channel_running,
                                      backoff=self.start_backoff, on_change=self._channel_news)
        await self.starter.start_all()
        await self.inbox.handle_stored()
        for run_id in await unfinished_materialising(self.engine):
            log.info("resuming run %s interrupted while materialising", run_id)
            await materialise(self.engine, run_id)
        # Runs that came due while nothing ran start now; later ones at their time.
        self.scheduler = SchedulerService(
            self.engine, settings_rules(self.settings.scheduler), list(self.channels),
            notify=PressNotices(self.engine, list(self.channels), self._wake_senders,
                                staff_post=self._staff_post()),
            announce_polls=PollNotices(self.engine, ZoneInfo(self.settings.scheduler.timezone),
                                       self._wake_senders, staff_post=self._staff_post()))
        await self.scheduler.start()
        self.digest = MonthlyDigest(  # the 25th-day reminder, the 1st-day digest
            self.engine, self.settings.scheduler.timezone,
            deliverer(self.reader or self.engine, self.senders), on_replies=self._wake_senders)
        await self.digest.start()
        self._ready = True
        for name, status in self.starter.statuses.items():
            if status.state == "running":
                self._start_sender(name)
        # Awaited with the senders at stop: it finishes the step it is in, then ends.
        self._sender_tasks.append(asyncio.create_task(self.chat.run(self._stop), name="chat"))
        freeze_heap()

    async def _start_server(self, receive: EventHandler) -> None:
        assert self.ops is not None
        self.server = WebServer(self.ops.reader, receive)
        if self.settings.server.metrics:
            self.server.add_operations(self.ops.healthz, self.ops.metrics)
        local = await self.server.start(self.settings.server.host, self.settings.server.port)
        log.info("listening on %s (public %s)", local, self.settings.server.public_url)

    def _next_fire(self) -> datetime | None:
        wake_at = self.scheduler.wake_at.values() if self.scheduler is not None else ()
        return min(wake_at, default=None)

    def _staff_post(self) -> StaffPost | None:
        """Poll results to the bound staff chat(s), queued in the announcing transaction."""
        desk = self.chat.ctx.desk if self.chat is not None else None
        return None if desk is None else desk.post

    async def _channel_news(self, name: str, status: ChannelStatus) -> None:
        """A channel failed or came back: told once in the staff chat (core.staff.news)."""
        desk = self.chat.ctx.desk if self.chat is not None else None
        if desk is None or self.engine is None:
            return
        failed = status.state == ChannelState.FAILED
        if await tell_channel(self.engine, desk.post, name, failed, status.reason or "",
                              status.cause or ""):
            self._wake_senders()

    async def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.digest is not None:
            await self.digest.stop()

    def _channel_running(self, name: str) -> None:
        """A channel started; its sender starts now unless the suite is still starting
        (then _start starts it, after stored updates and interrupted runs)."""
        if self._ready and not self._stop.is_set():
            self._start_sender(name)

    def _start_sender(self, name: str) -> None:
        assert self.engine is not None
        channel, sending = self.channels[name], self.settings.sending
        policy = Policy(
            max_attempts=sending.max_attempts,
            resend_uncertain=sending.uncertain_policy == "resend",
            idempotent=channel.capabilities.idempotent_sends,
            backoff_base_s=sending.retry_backoff_seconds,
        )
        sender = self.senders[name] = ChannelSender(
            self.engine, channel, policy, lease_s=sending.lease_seconds,
            max_wave=sending.batch_size, reader=self.reader,
            on_fault=functools.partial(self._sender_fault, name), probe=self.probe_backoff,
        )
        task = asyncio.create_task(sender.run(self._stop), name=f"sender-{name}")
        self._sender_tasks.append(task)

    async def _sender_fault(self, name: str, fault: Fault | None) -> None:
        """A running channel stopped working or works again: its state and the news."""
        if self.starter is not None:
            failure = None if fault is None else StartFailure(fault.cause, fault.detail)
            await self.starter.running_fault(name, failure)

    def _wake_all(self) -> None:
        self._wake_senders()
        if self.chat is not None:
            self.chat.wake()

    def _wake_senders(self) -> None:
        for sender in self.senders.values():
            sender.wake()

    async def _watch(self, stop: asyncio.Event, until_idle: bool) -> None:
        assert self.engine is not None
        quiet = 0
        while not stop.is_set():
            await asyncio.sleep(IDLE_CHECK_S)
            if self.on_progress is not None:
                self.on_progress(self)
            if not until_idle:
                continue
            running = self.settled_channels()
            if running is None:  # a channel is still making its first attempt
                continue
            # Database trouble is waited out (told once in the log), not a reason to stop.
            left = await persist(functools.partial(
                outbox.pending_count, self.reader or self.engine, running))
            quiet = quiet + 1 if left == 0 else 0
            if quiet >= 2:  # twice in a row: nothing is being recorded in between
                stop.set()

    async def _close(self) -> None:
        if self.starter is not None:
            await self.starter.close()
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.close()
        if self.server is not None:
            await self.server.close()
        if self.inbox is not None:
            await self.inbox.close()
        thaw_heap()


def run_forever(
    settings: Settings, *, until_idle: bool = False,
    on_progress: Callable[[Suite], None] | None = None,
    after: Callable[[Suite], Awaitable[None]] | None = None,
) -> int:
    """Blocking entry point with SIGINT/SIGTERM handling; exit status 0 on a clean stop, 2
    (one line) for a missing setting or an old schema, 1 when --until-idle stops with a
    channel that never started. `on_progress` is called while it
    runs, `after` once the suite has stopped."""

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        suite = Suite(settings, on_progress=on_progress)
        await suite.run(stop, until_idle=until_idle)
        if after is not None:
            await after(suite)
        # --until-idle for scripts: 1 when a channel never came up (its deliveries wait).
        return 1 if until_idle and suite.down_channels() else 0

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job otherwise
    setup_logging(settings.server.log_format)
    redact_secrets(settings)  # a safety net: call sites keep tokens out of messages
    from core.storage.schema import SchemaError

    try:
        check_run_settings(settings)
        return asyncio.run(main())
    except (SettingsError, SchemaError) as exc:  # what a person must fix first: one line
        print(f"rupor: {exc}", file=sys.stderr)
        return 2
