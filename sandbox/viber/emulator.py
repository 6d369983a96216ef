"""ViberEmulator: the Viber REST Bot API on loopback, with members to play the users."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from aiohttp import web

from ..limits import Clock, monotonic
from .audience import Audience
from .callbacks import CallbackAttempt, CallbackDispatcher, WebhookConfig
from .knobs import ViberKnobs
from .media import MediaFetcher
from .members import MemberActions
from .platform import Platform
from .server import ViberServer
from .stats import ViberStats


class ViberEmulator(MemberActions):
    """One emulated Viber bot account: `app`, `start()`, `close()`, `stats()`, members."""

    def __init__(
        self,
        knobs: ViberKnobs | None = None,
        *,
        clock: Clock = monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.knobs = knobs or ViberKnobs()
        stats = ViberStats()
        self._platform = Platform(
            knobs=self.knobs,
            clock=clock,
            wall_clock=wall_clock,
            stats=stats,
            audience=Audience(self.knobs, clock, stats),
            callbacks=CallbackDispatcher(self.knobs, stats),
            media=MediaFetcher(self.knobs, stats),
        )
        self._server = ViberServer(self._platform, self.stats)
        self.app: web.Application = self._server.app
        self.app.on_startup.append(self._on_startup)
        self.app.on_cleanup.append(self._on_cleanup)
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    async def _on_startup(self, app: web.Application) -> None:
        self._session = aiohttp.ClientSession()
        self._platform.callbacks.start(self._session)
        self._platform.media.start(self._session)

    async def _on_cleanup(self, app: web.Application) -> None:
        await self._platform.callbacks.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port); returns the base URL (`api_base`)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def close(self) -> None:
        """Stop serving, release hanging answers and cancel background tasks."""
        self._server.closing()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        elif self._session is not None:
            await self._on_cleanup(self.app)

    def stats(self) -> dict[str, Any]:
        """What the platform saw; the same dict is served at GET /__sandbox/stats."""
        return self._platform.stats.as_dict(self._server.windows, self._server.retry)

    @property
    def webhook(self) -> WebhookConfig:
        """What set_webhook stored (url None when no webhook is set)."""
        return self._platform.callbacks.webhook

    @property
    def callback_attempts(self) -> list[CallbackAttempt]:
        """Every post to the webhook so far: event, attempt number, HTTP status."""
        return list(self._platform.callbacks.attempts)

    def fetched_media(self) -> list[str]:
        """Media URLs fetched successfully (each once per emulator)."""
        return self._platform.media.fetched_urls()
