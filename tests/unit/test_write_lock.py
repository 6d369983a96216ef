"""core.storage.write_lock: first come, first served, urgent writers ahead of the queue;
a waiter cancelled while waiting, or as it was handed the lock, never keeps it."""

from __future__ import annotations

import asyncio

import pytest

from core.storage.write_lock import WriteLock


async def test_urgent_writers_go_before_queued_ones_in_order() -> None:
    lock, order = WriteLock(), []

    async def write(name: str, urgent: bool = False) -> None:
        async with lock.held(urgent=urgent):
            order.append(name)
            await asyncio.sleep(0)

    await lock.acquire()
    tasks = [asyncio.create_task(write(f"batch{n}")) for n in range(3)]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(write("answer", urgent=True)),
              asyncio.create_task(write("reply", urgent=True))]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*tasks)
    assert order == ["answer", "reply", "batch0", "batch1", "batch2"]
    assert not lock.locked()


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = WriteLock()
    async with lock:
        gone = asyncio.create_task(lock.acquire())
        waiting = asyncio.create_task(lock.acquire(urgent=True))
        await asyncio.sleep(0)
        gone.cancel()
    await waiting  # handed over at the release
    waiting_too = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()
    waiting_too.cancel()  # handed the lock, cancelled before it resumed: passed on (freed)
    with pytest.raises(asyncio.CancelledError):
        await waiting_too
    assert not lock.locked()
    assert gone.cancelled()
