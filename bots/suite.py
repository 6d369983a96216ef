"""`rupor run`: the composition root of the whole suite — channels, webhooks or polling,
one sender per channel account, the inbox, resumed runs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bots import texts
from bots.registry import configured
from bots.transport import ChannelDeps, WebhookReceiver
from bots.webhooks import WebServer
from core.config import Settings
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import Channel
from core.sending import outbox
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.runs import materialise, unfinished_materialising
from core.storage.engine import create_engine
from core.storage.state import DbStateStore

log = logging.getLogger("rupor.suite")

IDLE_CHECK_S = 0.5


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
    """Viber always calls back and fetches media; TG and VK only in webhook modes."""
    return (
        settings.viber is not None
        or (settings.telegram is not None and settings.telegram.mode == "webhook")
        or (settings.vk is not None and settings.vk.mode == "callback")
    )


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

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Run until `stop` is set (or, with until_idle, until nothing is left to send)."""
        from core.storage.schema import ensure_schema

        url = self.settings.database.url
        own_engine = self.engine is None
        self.engine = self.engine or create_engine(url)
        # Reads (leaflets for Viber, the idle check) must not take SQLite's write lock.
        self.reader = create_engine(url, readonly=True)
        await ensure_schema(self.engine, url)
        try:
            await self._start()
            tasks = [
                asyncio.create_task(s.run(stop), name=f"sender-{n}")
                for n, s in self.senders.items()
            ]
            watcher = asyncio.create_task(self._watch(stop, until_idle))
            await stop.wait()
            await asyncio.gather(*tasks)
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        finally:
            await self._close()
            await self.reader.dispose()
            if own_engine:
                await self.engine.dispose()

    async def _start(self) -> None:
        assert self.engine is not None
        dialogs = Dialogs(texts.DIALOG)
        self.inbox = Inbox(self.engine, dialogs, after_commit=self._wake_all)
        public_url = self.settings.server.public_url
        if needs_server(self.settings):
            self.server = WebServer(self.reader or self.engine, self.inbox.receive)
            local = await self.server.start(self.settings.server.host, self.settings.server.port)
            public_url = public_url or local
            log.info("listening on %s (public %s)", local, public_url)
        deps = ChannelDeps(
            public_url=public_url, state=DbStateStore(self.engine),
            http_timeout_s=self.settings.sending.http_timeout_seconds,
        )
        for name, kind in configured(self.settings).items():
            self.channels[name] = kind.build(self.settings, deps)
        if self.server is not None:
            receivers = [c for c in self.channels.values() if hasattr(c, "handle_webhook")]
            self.server.add_receivers([r for r in receivers if isinstance(r, WebhookReceiver)])
        for channel in self.channels.values():
            await channel.start(self.inbox.receive)
        await self.inbox.handle_stored()
        for run_id in await unfinished_materialising(self.engine):
            log.info("resuming run %s interrupted while materialising", run_id)
            await materialise(self.engine, run_id)
        sending = self.settings.sending
        for name, channel in self.channels.items():
            policy = Policy(
                max_attempts=sending.max_attempts,
                resend_uncertain=sending.uncertain_policy == "resend",
                idempotent=channel.capabilities.idempotent_sends,
                backoff_base_s=sending.retry_backoff_seconds,
            )
            self.senders[name] = ChannelSender(
                self.engine, channel, policy, lease_s=sending.lease_seconds,
                max_wave=sending.batch_size, reader=self.reader,
            )
        freeze_heap()

    def _wake_all(self) -> None:
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
            left = await outbox.pending_count(self.reader or self.engine, list(self.channels))
            quiet = quiet + 1 if left == 0 else 0
            if quiet >= 2:  # twice in a row: nothing is being recorded in between
                stop.set()

    async def _close(self) -> None:
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
    """Blocking entry point with SIGINT/SIGTERM handling; exit status 0 on a clean stop.
    `on_progress` is called while it runs, `after` once the suite has stopped."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        suite = Suite(settings, on_progress=on_progress)
        await suite.run(stop, until_idle=until_idle)
        if after is not None:
            await after(suite)

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(main())
    return 0
