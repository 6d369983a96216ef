"""Fixtures of the VK adapter tests: the VK emulator on port 0 and VkChannels pointed at it.

The adapter runs the real vk_api in its worker threads; the emulator serves on the test's
event loop, so member actions are plain calls here.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from bots.transport import ChannelDeps, MemoryState
from bots.vk import VkChannel, vk_capabilities
from core.config import Settings, VkSettings
from core.ports import InboundEvent, MediaFile
from sandbox.vk import VkEmulator, VkKnobs

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "leaflet.pdf", content: bytes = PDF) -> MediaFile:
    digest = hashlib.sha256(content).hexdigest()
    return MediaFile(1, digest, name, "application/pdf", len(content), content=content)


def png(name: str = "poster.png") -> MediaFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buffer, format="PNG")
    content = buffer.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    return MediaFile(2, digest, name, "image/png", len(content), content=content)


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class Inbox:
    """An on_event handler that records events and can fail on chosen calls."""

    events: list[InboundEvent] = field(default_factory=list)
    fail_next: int = 0
    calls: int = 0

    async def __call__(self, event: InboundEvent) -> None:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the core could not store this event")
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@dataclass
class VkRig:
    emulator: VkEmulator
    api_base: str
    channels: list[VkChannel] = field(default_factory=list)

    def settings(self, **vk: Any) -> Settings:
        knobs = self.emulator.knobs
        section = {"token": knobs.group_token, "group_id": knobs.group_id,
                   "api_base": self.api_base, **vk}
        return Settings(vk=VkSettings(**section))

    def channel(
        self, *, state: MemoryState | None = None, timeout_s: float = 5.0,
        public_url: str | None = None, **vk: Any,
    ) -> VkChannel:
        deps = ChannelDeps(public_url=public_url, state=state or MemoryState(),
                           http_timeout_s=timeout_s)
        channel = VkChannel.from_settings(self.settings(**vk), deps)
        channel.poller.wait_s = 1  # a waiting a_check ends quickly when the test closes
        channel.poller.retry_s = 0.05
        self.channels.append(channel)
        return channel

    def members(self, *user_ids: int, allowed: bool = True) -> list[str]:
        for user_id in user_ids:
            self.emulator.register_user(user_id, "Член", f"№{user_id}", allowed=allowed)
        return [str(user_id) for user_id in user_ids]

    def sends(self) -> int:
        return int(self.emulator.stats()["requests_by_method"].get("messages.send", 0))


RigFactory = Callable[..., Awaitable[VkRig]]


@pytest.fixture
async def make_rig() -> AsyncIterator[RigFactory]:
    rigs: list[VkRig] = []

    async def make(**knobs: Any) -> VkRig:
        emulator = VkEmulator(VkKnobs(**knobs))
        rig = VkRig(emulator, await emulator.start())
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        for channel in rig.channels:
            await channel.close()
        await rig.emulator.close()


@pytest.fixture
async def rig(make_rig: RigFactory) -> VkRig:
    return await make_rig()


def test_capabilities_are_vks_and_need_no_network() -> None:
    caps = vk_capabilities(Settings(vk=VkSettings(token="t", group_id=1)))
    assert (caps.max_recipients_per_call, caps.calls_per_second) == (100, 20)
    assert caps.max_text_len == caps.max_caption_len == 9000
    assert caps.idempotent_sends and caps.read_receipts and not caps.native_polls
    assert caps.text_format == "plain" and caps.per_chat_interval_s == 0
