"""Rupor's own HTTP server: platform webhooks and the leaflets Viber fetches by URL.

A webhook call is authenticated by its adapter; its events are handed to the inbox, which
commits them, and only then is the platform answered — so a 200 means "stored".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.transport import WebhookReceiver
from core.campaigns.media import media_by_sha
from core.ports import InboundEvent

log = logging.getLogger("rupor.webhooks")

MAX_BODY = 1024 * 1024  # platform updates are small; refuse anything larger
_SHA = re.compile(r"^[0-9a-f]{64}$")

Receive = Callable[[InboundEvent], Awaitable[None]]
Page = Callable[[web.Request], Awaitable[web.Response]]


class WebServer:
    def __init__(self, engine: AsyncEngine, receive: Receive) -> None:
        self.engine = engine
        self.receive = receive
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/media/{sha}", self._media)
        self.app.router.add_get("/healthz", self._health)
        self.app.router.add_get("/metrics", self._metrics)
        self._operations: dict[str, Page] = {}  # bots.ops: /healthz and /metrics
        # Adapters are built once the server's URL is known, so routes resolve at request time.
        self.app.router.add_post("/webhooks/{channel}", self._webhook)
        self._receivers: dict[str, WebhookReceiver] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    def add_receivers(self, receivers: Sequence[WebhookReceiver]) -> None:
        for receiver in receivers:
            self._receivers[receiver.webhook_path] = receiver

    async def start(self, host: str, port: int) -> str:
        """Listen (port 0 picks a free one) and return the local base URL."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_operations(self, healthz: Page, metrics: Page) -> None:
        self._operations.update(healthz=healthz, metrics=metrics)

    async def _health(self, request: web.Request) -> web.Response:
        page = self._operations.get("healthz")
        return web.Response(text="ok") if page is None else await page(request)

    async def _metrics(self, request: web.Request) -> web.Response:
        page = self._operations.get("metrics")
        if page is None:
            raise web.HTTPNotFound()
        return await page(request)

    async def _media(self, request: web.Request) -> web.Response:
        sha = request.match_info["sha"]
        if not _SHA.match(sha):
            raise web.HTTPNotFound()
        found = await media_by_sha(self.engine, sha)
        if found is None:
            raise web.HTTPNotFound()
        filename, mime, content = found
        return web.Response(
            body=content,
            content_type=mime,
            headers={
                "Content-Disposition": f'inline; filename="{filename}"',
                "Cache-Control": "public, max-age=86400, immutable",
            },
        )

    async def _webhook(self, request: web.Request) -> web.Response:
        receiver = self._receivers.get(request.path)
        if receiver is None:
            raise web.HTTPNotFound()
        body = await request.read()
        answer = await receiver.handle_webhook(request.headers, body)
        if answer.status == 200:
            try:
                for event in answer.events:
                    await self.receive(event)
            except Exception:
                # Not stored: a non-2xx makes the platform send it again.
                log.exception("storing a %s update failed", receiver.webhook_path)
                return web.Response(status=500, text="retry later")
        return web.Response(
            status=answer.status, text=answer.body, content_type=answer.content_type
        )
