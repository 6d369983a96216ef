"""Fixtures of the Telegram adapter tests: a running emulator and TelegramChannels for it."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import struct
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bots.telegram import TelegramChannel
from bots.transport import ChannelDeps
from core.config import settings_from_mapping
from core.ports import InboundEvent, MediaFile, Outbound, Span
from sandbox.telegram import TelegramEmulator, TelegramKnobs

TOKEN = "123456:TEST-token"
BOT_USERNAME = "rupor_123456_bot"


def settings_for(api_base: str, *, token: str = TOKEN, ceiling: int = 30, mode: str = "polling",
                 secret: str | None = None) -> Any:
    telegram: dict[str, Any] = {"token": token, "api_base": api_base, "mode": mode}
    if secret is not None:
        telegram["webhook_secret"] = secret
    return settings_from_mapping(
        {"telegram": telegram, "sending": {"telegram_ceiling": ceiling}}, environ={}
    )


@dataclass
class TgRig:
    """One emulator on port 0 and the channels a test built for it (closed afterwards)."""

    emulator: TelegramEmulator
    api_base: str
    channels: list[TelegramChannel] = field(default_factory=list)

    def channel(self, *, api_base: str | None = None, http_timeout_s: float = 5.0,
                public_url: str | None = None, **options: Any) -> TelegramChannel:
        settings = settings_for(api_base or self.api_base, **options)
        deps = ChannelDeps(public_url=public_url, http_timeout_s=http_timeout_s)
        channel = TelegramChannel.from_settings(settings, deps)
        self.channels.append(channel)
        return channel

    def member(self, *, started: bool = True, user_id: int | None = None, **names: Any) -> int:
        user = self.emulator.add_user(user_id, **names)
        if started:
            self.emulator.start_bot(TOKEN, user)
        return int(user)

    def stats(self) -> dict[str, Any]:
        return dict(self.emulator.stats())

    def log(self, chat_id: int) -> list[dict[str, Any]]:
        return list(self.emulator.chat_log(TOKEN, chat_id))

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
        await self.emulator.close()


async def start_rig(**knobs: Any) -> TgRig:
    emulator = TelegramEmulator(TelegramKnobs(**knobs))
    emulator.add_bot(TOKEN, username=BOT_USERNAME)
    return TgRig(emulator, await emulator.start())


@pytest.fixture
async def rig() -> AsyncIterator[TgRig]:
    """The emulator with Telegram's real limits."""
    made = await start_rig()
    yield made
    await made.close()


@pytest.fixture
async def roomy_rig() -> AsyncIterator[TgRig]:
    """The emulator with limits high enough for unpaced tests (pacing is the core's job)."""
    made = await start_rig(bot_ceiling=1000, per_chat_per_s=10)
    yield made
    await made.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(check: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class Inbox:
    """An on_event that records events; `fail_first` makes it raise once per event id."""

    def __init__(self, fail_first: set[str] | None = None) -> None:
        self.events: list[InboundEvent] = []
        self.fail_first = fail_first or set()
        self.failures: list[str] = []

    async def __call__(self, event: InboundEvent) -> None:
        self.events.append(event)
        if event.event_id in self.fail_first:
            self.fail_first.discard(event.event_id)
            self.failures.append(event.event_id)
            raise RuntimeError("the core could not commit this event")

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def text(*spans: Span | str) -> tuple[Span, ...]:
    return tuple(Span(s) if isinstance(s, str) else s for s in spans)


def part(key: str = "r1p0", *spans: Span | str, **fields: Any) -> Outbound:
    """A message part; without spans or media it says "Новости"."""
    if not spans and "media" not in fields:
        spans = ("Новости",)
    return Outbound(key=key, text=text(*spans), **fields)


def png(width: int = 8, height: int = 8) -> bytes:
    """A valid PNG, so the emulator can read its size."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def leaflet(content: bytes = PDF, *, ref: str | None = None, mime: str = "application/pdf",
            filename: str = "листовка.pdf") -> MediaFile:
    return MediaFile(1, hashlib.sha256(content).hexdigest(), filename, mime, len(content),
                     ref=ref, content=content)
