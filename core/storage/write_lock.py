"""The lock this process's SQLite writers queue on: first come, first served, with a lane
ahead for the writes a person waits on (an update received, a chat answer committed, a
reply claimed), so they wait for the one transaction under way, not for every broadcast
batch queued before them."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType


class WriteLock:
    """An asyncio.Lock (FIFO) whose `acquire(urgent=True)` waiters go first."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._urgent: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._held

    async def acquire(self, *, urgent: bool = False) -> bool:
        if not self._held and not self._waiters and not self._urgent:
            self._held = True
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._waiters).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over as it was cancelled: pass it on
            raise
        return True

    def release(self) -> None:
        """Hand the lock to the next waiter (urgent ones first), or free it."""
        if not self._held:
            raise RuntimeError("WriteLock released while not held")
        for queue in (self._urgent, self._waiters):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():  # not cancelled while waiting
                    waiter.set_result(None)  # still held: it passes to that waiter
                    return
        self._held = False

    @contextlib.asynccontextmanager
    async def held(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        self.release()
