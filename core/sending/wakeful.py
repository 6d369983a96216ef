"""A loop that works as soon as it is woken, and at least every few seconds regardless."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("rupor.dispatch")


async def each_wake(stop: asyncio.Event, wake: asyncio.Event,
                    work: Callable[[], Awaitable[None]], every_s: float, what: str) -> None:
    """Run `work` now, then each time `wake` is set or `every_s` passed, until `stop`; a
    failure is logged and the next turn tries again."""
    while not stop.is_set():
        wake.clear()  # before working, so a wake-up during the work is not lost
        try:
            await work()
        except Exception:
            log.exception("%s failed", what)
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        await asyncio.wait(waiters, timeout=every_s, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
