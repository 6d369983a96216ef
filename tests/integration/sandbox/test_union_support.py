"""Fixtures of the simulated union tests: the three emulators with a union attached, and
clients as the bot holds them (aiogram Bot, vk_api over the rerouted session, HTTP for Viber).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import vk_api
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web

from sandbox.telegram import TelegramEmulator, TelegramKnobs
from sandbox.union import Union, UnionKnobs
from sandbox.viber import AUTH_HEADER, ViberEmulator, ViberKnobs
from sandbox.vk import VkEmulator, VkKnobs, requests_session

TG_TOKEN = "5550001111:SANDBOX-union-test"
VIBER_TOKEN = "4a5f0e2c9b7d1e3f-union-test"
SMALL = UnionKnobs(
    seed=7,
    districts=3,
    schools=8,
    members=160,
    staff=3,
    share_blocked=0.1,
    share_denied=0.1,
    share_unsubscribed=0.1,
    share_deactivated=0.05,
    share_unjoined=0.05,
)
CONSENT = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Согласен", callback_data="consent:yes"),
            InlineKeyboardButton(text="Нет", callback_data="consent:no"),
        ]
    ]
)
VK_KEYBOARD = json.dumps(
    {
        "inline": True,
        "buttons": [
            [{"action": {"type": "callback", "label": "Согласен", "payload": '{"consent":1}'}}]
        ],
    }
)
VIBER_KEYBOARD = {
    "Type": "keyboard",
    "Buttons": [{"ActionType": "reply", "ActionBody": "consent:yes", "Text": "Согласен"}],
}


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
    """Poll `check` until it returns something truthy (the value), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class ViberHook:
    """A bot's Viber webhook that records every callback."""

    received: list[dict[str, Any]] = field(default_factory=list)
    runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/viber", self._handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}/viber"

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.Response(text="")

    def events(self, event: str) -> list[dict[str, Any]]:
        return [body for body in self.received if body["event"] == event]


@dataclass
class World:
    """The three emulators with the union attached, and clients as the bot would hold them."""

    union: Union
    tg: TelegramEmulator
    vk: VkEmulator
    viber: ViberEmulator
    bot: Bot
    vk_api: vk_api.VkApi
    http: aiohttp.ClientSession
    hook: ViberHook
    viber_base: str

    def first(self, platform: str, state: str) -> str:
        return next(a.external_id for _, a in self.union.accounts(platform) if a.state == state)

    async def viber_call(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.viber_base}/pa/{endpoint}"
        async with self.http.post(url, json=body, headers={AUTH_HEADER: VIBER_TOKEN}) as answer:
            result: dict[str, Any] = await answer.json()
            return result

    async def viber_send(self, receiver: str, **message: Any) -> dict[str, Any]:
        body = {"receiver": receiver, "sender": {"name": "Профсоюз"}, "type": "text", **message}
        return await self.viber_call("send_message", body)

    async def vk_send(self, peer_id: int, text: str, **extra: Any) -> Any:
        api = self.vk_api.get_api()
        random_id = int(time.monotonic_ns() % 2**31)
        return await asyncio.to_thread(
            api.messages.send, peer_id=peer_id, random_id=random_id, message=text, **extra
        )

    async def vk_events(self) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
        """A reader of the community's Bots Long Poll from now on (no waiting)."""
        server = await asyncio.to_thread(
            self.vk_api.method, "groups.getLongPollServer", {"group_id": self.vk.knobs.group_id}
        )
        seen: list[dict[str, Any]] = []

        async def read() -> list[dict[str, Any]]:
            query = {"act": "a_check", "key": server["key"], "ts": server["ts"], "wait": 0}
            async with self.http.get(server["server"], params=query) as answer:
                body = await answer.json()
            server["ts"] = body["ts"]
            seen.extend(body["updates"])
            return seen

        return read

    async def tg_updates(self) -> list[Any]:
        return await self.bot.get_updates(timeout=0)


WorldFactory = Callable[..., Awaitable[World]]


@pytest.fixture
async def make_world() -> AsyncIterator[WorldFactory]:
    opened: list[tuple[World, Callable[[], Awaitable[None]]]] = []

    async def build(knobs: UnionKnobs = SMALL) -> World:
        tg, vk = TelegramEmulator(TelegramKnobs()), VkEmulator(VkKnobs())
        viber = ViberEmulator(ViberKnobs(auth_token=VIBER_TOKEN))
        tg.add_bot(TG_TOKEN)
        tg_base, vk_base, viber_base = await tg.start(), await vk.start(), await viber.start()
        union = Union.generate(knobs)
        await union.attach(telegram=tg, telegram_token=TG_TOKEN, vk=vk, viber=viber)
        hook = ViberHook()
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg_base))
        vk_client = vk_api.VkApi(
            token=vk.knobs.group_token, session=requests_session(vk_base), api_version="5.199"
        )
        vk_client.RPS_DELAY = 0.0
        world = World(
            union, tg, vk, viber, Bot(TG_TOKEN, session=session), vk_client,
            aiohttp.ClientSession(), hook, viber_base,
        )  # fmt: skip
        answer = await world.viber_call("set_webhook", {"url": await hook.start()})
        assert answer["status"] == 0, answer

        async def close() -> None:
            await union.stop()
            await world.bot.session.close()
            await world.http.close()
            for emulator in (tg, vk, viber):
                await emulator.close()
            assert hook.runner is not None
            await hook.runner.cleanup()

        opened.append((world, close))
        return world

    yield build
    for _, close in opened:
        await close()


@pytest.fixture
async def world(make_world: WorldFactory) -> World:
    return await make_world()
