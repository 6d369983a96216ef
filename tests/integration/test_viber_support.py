"""Fixtures of the Viber adapter tests: the emulator, Rupor's server and a started channel.

RuporServer plays the part of Rupor's own aiohttp server on port 0: POST /webhooks/viber
goes to ViberChannel.handle_webhook, GET /media/<sha256> serves leaflets to Viber.
"""

from __future__ import annotations

import hashlib
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.transport import ChannelDeps
from bots.viber import ViberChannel
from bots.viber.client import AUTH_HEADER
from core.config import settings_from_mapping
from core.ports import ChannelError, InboundEvent, MediaFile
from sandbox.viber import ViberEmulator, ViberKnobs

TOKEN = "4a5f0e2c9b7d1e3f-rupor-test"
BOT_NAME = "Профсоюз"
BOT_AVATAR = "https://example.org/avatar.png"


@dataclass
class RuporServer:
    """Rupor's server as Viber sees it; `fail_next` answers 500 instead of storing events."""

    channel: ViberChannel | None = None
    events: list[InboundEvent] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    media_gets: Counter[str] = field(default_factory=Counter)
    fail_next: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/webhooks/viber", self._webhook)
        app.router.add_get("/media/{sha256}", self._media)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def serve(self, content: bytes, filename: str, mime: str) -> MediaFile:
        digest = hashlib.sha256(content).hexdigest()
        self.files[digest] = content
        return MediaFile(1, digest, filename, mime, len(content))

    async def _webhook(self, request: web.Request) -> web.Response:
        assert self.channel is not None
        answer = await self.channel.handle_webhook(request.headers, await request.read())
        if answer.status == 200 and answer.events and self.fail_next > 0:
            self.fail_next -= 1  # the core could not commit: Viber must retry
            self.answers.append(500)
            return web.Response(status=500, text="not stored")
        self.events.extend(answer.events)
        self.answers.append(answer.status)
        return web.Response(status=answer.status, text=answer.body,
                            content_type=answer.content_type)

    async def _media(self, request: web.Request) -> web.Response:
        digest = request.match_info["sha256"]
        self.media_gets[digest] += 1
        if digest not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[digest], content_type="application/octet-stream")

    async def on_event(self, event: InboundEvent) -> None:
        self.events.append(event)


@dataclass
class Setup:
    emulator: ViberEmulator
    server: RuporServer
    channel: ViberChannel
    api_base: str

    def subscriber(self, user_id: str | None = None, name: str = "Участник") -> str:
        user = self.emulator.add_user(user_id, name=name)
        self.emulator.subscribe(user.id)
        return user.id

    def stats(self) -> dict[str, Any]:
        return self.emulator.stats()

    async def start_expecting_fault(self) -> str:
        """start() must fail with ChannelError; the session stays open for sends."""
        with pytest.raises(ChannelError) as info:
            await self.channel.start(self.server.on_event)
        return str(info.value)

    async def admin_call(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """Another admin of the bot account calling the API directly."""
        async with aiohttp.ClientSession() as session, session.post(
            f"{self.api_base}/pa/{endpoint}", json=body,
            headers={AUTH_HEADER: self.emulator.knobs.auth_token},
        ) as response:
            answer: dict[str, Any] = await response.json()
            return answer


Make = Callable[..., Awaitable[Setup]]


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="make_viber")
async def make_viber_fixture() -> AsyncIterator[Make]:
    """make_viber(knobs, subscribers=[ids subscribed before the webhook exists],
    start=True, token=None, api_base=None, http_timeout_s=5.0, public_url=...)."""
    made: list[Setup] = []

    async def make(
        knobs: ViberKnobs | None = None, *, subscribers: Iterable[str] = (), start: bool = True,
        token: str | None = None, api_base: str | None = None, http_timeout_s: float = 5.0,
        no_public_url: bool = False,
    ) -> Setup:
        knobs = knobs or ViberKnobs(auth_token=TOKEN)
        emulator = ViberEmulator(knobs)
        base = await emulator.start()
        for user_id in subscribers:  # no webhook yet: no callbacks for these
            emulator.add_user(user_id)
            emulator.subscribe(user_id)
        server = RuporServer()
        url = await server.start()
        settings = settings_from_mapping({"viber": {
            "token": token or knobs.auth_token, "api_base": api_base or base,
            "name": BOT_NAME, "avatar": BOT_AVATAR,
        }}, environ={})
        deps = ChannelDeps(public_url=None if no_public_url else url,
                           http_timeout_s=http_timeout_s)
        channel = ViberChannel.from_settings(settings, deps)
        server.channel = channel
        setup = Setup(emulator, server, channel, base)
        made.append(setup)
        if start:
            await channel.start(server.on_event)
        return setup

    yield make
    for setup in made:
        await setup.channel.close()
        await setup.emulator.close()
        await setup.server.close()
