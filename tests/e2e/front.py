"""A front for our own server, as the platforms reach it through [server] public_url: it
forwards every request, except that it answers 503 to the first media download (our media
server briefly unavailable: restarting, or too slow under load)."""

from __future__ import annotations

import aiohttp
from aiohttp import web

_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


class FlakyFront:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.refused = 0
        self.forwarded = 0
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        """Serve on a free loopback port; returns the front's URL."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._http = aiohttp.ClientSession()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.path.startswith("/media/") and not self.refused:
            self.refused += 1
            return web.Response(status=503, text="Service Unavailable")
        assert self._http is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._http.request(request.method, self.target + request.path_qs,
                                      data=await request.read(), headers=headers) as answer:
            body = await answer.read()
            self.forwarded += 1
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=answer.status, body=body, headers=kept)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
