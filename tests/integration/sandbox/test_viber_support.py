"""Fixtures of the Viber emulator tests: the emulator, a bot's webhook and an HTTP client.

The webhook is a real aiohttp server on port 0 that checks each callback the way a bot
would with viberbot: `Api.verify_signature` and `create_request` must accept it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from viberbot import Api, BotConfiguration
from viberbot.api.viber_requests import create_request

from sandbox.viber import AUTH_HEADER, SIGNATURE_HEADER, ViberEmulator, ViberKnobs

TOKEN = "4a5f0e2c9b7d1e3f-sandbox-token"
BOT = {"name": "Профсоюз", "avatar": "https://example.org/avatar.png"}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Callback:
    """One callback as the bot's webhook received it."""

    raw: bytes
    signature: str | None
    body: dict[str, Any]
    request: Any  # the viberbot request object create_request built


@dataclass
class Webhook:
    """A bot's webhook: records callbacks, answers them as planned (200 by default)."""

    api: Api = field(default_factory=lambda: Api(BotConfiguration(TOKEN, BOT["name"], None)))
    received: list[Callback] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)  # event -> how many 500s first
    answers: dict[str, bytes] = field(default_factory=dict)  # event -> body to answer
    bad_signatures: int = 0
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/viber", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/viber"
        return self.url

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        signature = request.headers.get(SIGNATURE_HEADER)
        if not self.api.verify_signature(raw, signature):
            self.bad_signatures += 1
            return web.Response(status=403)
        body = json.loads(raw)
        event = body["event"]
        if self.failures.get(event, 0) > 0:
            self.failures[event] -= 1
            return web.Response(status=500)
        self.received.append(Callback(raw, signature, body, create_request(body)))
        return web.Response(body=self.answers.get(event, b""), content_type="application/json")

    def events(self, event: str) -> list[Callback]:
        return [callback for callback in self.received if callback.body["event"] == event]

    async def wait_for(self, event: str, count: int = 1, timeout: float = 5.0) -> list[Callback]:
        async def enough() -> None:
            while len(self.events(event)) < count:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(enough(), timeout)
        return self.events(event)

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class Rig:
    """The emulator, its base URL, a webhook and a client speaking Viber's REST API."""

    emulator: ViberEmulator
    base: str
    webhook: Webhook
    http: aiohttp.ClientSession
    clock: FakeClock

    async def call(
        self, endpoint: str, body: dict[str, Any] | None = None, token: str | None = TOKEN
    ) -> dict[str, Any]:
        headers = {AUTH_HEADER: token} if token is not None else {}
        url = f"{self.base}/pa/{endpoint}"
        async with self.http.post(url, json=body or {}, headers=headers) as response:
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def set_webhook(self, **extra: Any) -> dict[str, Any]:
        return await self.call("set_webhook", {"url": self.webhook.url, **extra})

    async def send(self, receiver: str, message: dict[str, Any]) -> dict[str, Any]:
        return await self.call("send_message", {"receiver": receiver, "sender": BOT, **message})

    def subscriber(self, name: str = "Анна", **extra: Any) -> str:
        """A registered user who subscribed (before any webhook is set: no callback)."""
        user = self.emulator.add_user(name=name, **extra)
        self.emulator.subscribe(user.id)
        return user.id


RigFactory = Callable[..., Any]


@pytest.fixture
async def make_rig() -> AsyncIterator[RigFactory]:
    """Build rigs with given knobs; everything is closed after the test."""
    opened: list[Rig] = []

    async def build(**knobs: Any) -> Rig:
        clock = FakeClock()
        emulator = ViberEmulator(ViberKnobs(auth_token=TOKEN, **knobs), clock=clock)
        base = await emulator.start()
        webhook = Webhook()
        await webhook.start()
        rig = Rig(emulator, base, webhook, aiohttp.ClientSession(), clock)
        opened.append(rig)
        return rig

    yield build
    for rig in opened:
        await rig.http.close()
        await rig.emulator.close()
        await rig.webhook.close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> Rig:
    """Default knobs, webhook not yet set."""
    built: Rig = await make_rig()
    return built
