"""Fixtures of the VK emulator tests: a running emulator and real vk_api clients for it.

vk_api is blocking, so every call runs in a thread (`call`) while the emulator serves on
the test's event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import vk_api
from vk_api.exceptions import ApiError

from sandbox.vk import VkEmulator, VkKnobs, requests_session

TOO_MANY_RPS = 6


class FakeClock:
    """A monotonic clock the test moves by hand (rate windows, random_id memory)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class VkRig:
    emulator: VkEmulator
    api_base: str
    clock: FakeClock

    def session(self, token: str | None = None, *, timeout: float = 10.0) -> vk_api.VkApi:
        """A vk_api client as our adapter builds it: rerouted session, 5.199, no 6-handler."""
        vk = vk_api.VkApi(
            token=token or self.emulator.knobs.group_token,
            session=requests_session(self.api_base, timeout=timeout),
            api_version="5.199",
        )
        vk.RPS_DELAY = 0.0  # the limit under test is the emulator's, not vk_api's pacing
        # vk_api's own handler sleeps 0.5 s and re-sends behind any limiter's back.
        del vk.error_handlers[TOO_MANY_RPS]
        return vk

    def admin(self) -> vk_api.VkApi:
        return self.session(self.emulator.knobs.admin_user_token)


async def call(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run one blocking vk_api call in a thread."""
    return await asyncio.to_thread(fn, **kwargs)


async def api_error(fn: Callable[..., Any], /, **kwargs: Any) -> ApiError:
    """The ApiError one call raises (fails the test if it does not)."""
    with pytest.raises(ApiError) as caught:
        await call(fn, **kwargs)
    return caught.value


async def wait_for(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll `condition` until true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


RigFactory = Callable[..., Awaitable[VkRig]]


@pytest.fixture
async def make_vk_rig() -> AsyncIterator[RigFactory]:
    emulators: list[VkEmulator] = []

    async def make(**knobs: Any) -> VkRig:
        clock = FakeClock()
        emulator = VkEmulator(VkKnobs(**knobs), clock=clock)
        emulators.append(emulator)
        return VkRig(emulator, await emulator.start(), clock)

    yield make
    for emulator in emulators:
        await emulator.close()


@pytest.fixture
async def vk_rig(make_vk_rig: RigFactory) -> VkRig:
    return await make_vk_rig()
