"""Fixtures of the Telegram emulator tests: a running emulator and real aiogram Bots for it.

Rate windows run on a FakeClock the test moves by hand, so limit tests never sleep; long
polls, webhooks and timeouts run on real time with short knobs.
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox.telegram import TelegramEmulator, TelegramKnobs

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
OTHER_TOKEN = "987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw2"


class FakeClock:
    """A monotonic clock the test moves by hand (rate windows and retry_after windows)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class TgRig:
    emulator: TelegramEmulator
    api_base: str
    clock: FakeClock
    _bots: list[Bot] = field(default_factory=list)

    def bot(self, token: str = TOKEN, *, timeout: float = 10.0) -> Bot:
        """A real aiogram Bot pointed at the emulator, as our adapter builds it."""
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.api_base), timeout=timeout)
        bot = Bot(token, session=session)
        self._bots.append(bot)
        return bot

    def member(self, *, started: bool = True, token: str = TOKEN, **names: Any) -> int:
        user_id = self.emulator.add_user(**names)
        if started:
            self.emulator.start_bot(token, user_id)
        return user_id

    def url(self, method: str, token: str = TOKEN) -> str:
        return f"{self.api_base}/bot{token}/{method}"

    async def raw(self, method: str, token: str = TOKEN, **kwargs: Any) -> tuple[int, Any]:
        """A plain HTTP POST (for what aiogram cannot send: unknown parameters, JSON bodies)."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url(method, token), **kwargs) as response,
        ):
            return response.status, await response.json()

    async def close(self) -> None:
        # aiogram waits 250 ms on each session close; close them together.
        await asyncio.gather(*(bot.session.close() for bot in self._bots))


@asynccontextmanager
async def tg_rig(knobs: TelegramKnobs | None = None) -> AsyncIterator[TgRig]:
    clock = FakeClock()
    emulator = TelegramEmulator(knobs or TelegramKnobs(), clock=clock)
    emulator.add_bot(TOKEN, username="rupor_test_bot")
    emulator.add_bot(OTHER_TOKEN, username="rupor_other_bot")
    rig = TgRig(emulator, await emulator.start(), clock)
    try:
        yield rig
    finally:
        await rig.close()
        await emulator.close()


@pytest.fixture
async def tg() -> AsyncIterator[TgRig]:
    async with tg_rig() as rig:
        yield rig


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0, step: float = 0.01
) -> None:
    """Poll a condition until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step)


def png(width: int = 4, height: int = 3) -> bytes:
    """A valid PNG of the given size (grey pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
