"""The chat layer answers several press secretaries at once: each account's events in
order, accounts concurrently and bounded (bots.chat.lanes); /audience and /plan's progress
from short-lived caches that say when they were counted (bots.chat.figures); a reply takes
the pacer's next slot instead of queueing behind the broadcast (Pacer urgent)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bots.chat.figures import Cache
from bots.chat.lanes import Lanes
from core.sending.ratelimit import Pacer


async def test_one_accounts_events_stay_in_order_while_started_again() -> None:
    queues = {("telegram", "1"): [1, 2, 3]}
    handled: list[int] = []

    async def serve(channel: str, account: str) -> None:
        queue = queues[(channel, account)]
        while queue:
            await asyncio.sleep(0.01)
            handled.append(queue.pop(0))

    lanes = Lanes(serve)
    lanes.start(("telegram", "1"))
    await asyncio.sleep(0.015)
    queues[("telegram", "1")].append(4)  # queued while the lane runs: the lane goes on
    lanes.start(("telegram", "1"))
    lanes.start(("telegram", "1"))
    await lanes.wait()
    assert handled == [1, 2, 3, 4]


async def test_a_slow_account_does_not_delay_another() -> None:
    slow_may_finish = asyncio.Event()
    done: list[str] = []

    async def serve(channel: str, account: str) -> None:
        if account == "slow":
            await slow_may_finish.wait()
        done.append(account)

    lanes = Lanes(serve)
    lanes.start(("telegram", "slow"))
    lanes.start(("telegram", "quick"))
    await asyncio.sleep(0.01)
    assert done == ["quick"]  # answered while the slow one still works
    slow_may_finish.set()
    await lanes.wait()
    assert done == ["quick", "slow"]


async def test_lanes_are_bounded_and_a_failure_ends_only_its_turn() -> None:
    running, most = 0, 0

    async def serve(channel: str, account: str) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        if account == "0":
            raise RuntimeError("broken step")

    lanes = Lanes(serve, limit=3)
    for n in range(10):
        lanes.start(("vk", str(n)))
    await lanes.wait()
    assert most == 3 and lanes.busy == 0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_cached_figures_say_when_they_were_counted_and_are_recounted_when_stale(
) -> None:
    clock, counts = Clock(), []
    walls = iter([datetime(2026, 12, 4, 13, 5, tzinfo=UTC), datetime(2026, 12, 4, 13, 6,
                                                                      tzinfo=UTC)])
    cache: Cache[str, int] = Cache(30.0, clock=clock, wall=lambda: next(walls))

    async def count() -> int:
        counts.append(clock.now)
        return len(counts) * 100

    first = await cache.get("union", count)
    assert (first.value, first.cached) == (100, False)  # counted for this very answer
    clock.now += 10
    second = await cache.get("union", count)
    assert (second.value, second.cached) == (100, True)
    assert second.at == datetime(2026, 12, 4, 13, 5, tzinfo=UTC) and len(counts) == 1
    clock.now += 25  # stale: this answer has the last figures, a recount starts
    third = await cache.get("union", count)
    assert (third.value, third.cached) == (100, True)
    await asyncio.sleep(0)
    fourth = await cache.get("union", count)
    assert (fourth.value, fourth.at.minute) == (200, 6) and len(counts) == 2


async def test_concurrent_askers_share_one_count() -> None:
    calls = 0

    async def count() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 7

    cache: Cache[int, int] = Cache(3.0)
    found = await asyncio.gather(*(cache.get(1, count) for _ in range(5)))
    assert calls == 1 and {f.value for f in found} == {7}
    cache.forget(keep=set())
    assert (await cache.get(1, count)).cached is False and calls == 2


async def test_an_urgent_call_takes_the_next_slot_before_queued_ones() -> None:
    pacer = Pacer(50)
    order: list[str] = []

    async def call(name: str, urgent: bool = False) -> None:
        slot = await pacer.acquire(urgent=urgent)
        order.append(name)
        slot.finish()

    queued = [asyncio.create_task(call(f"wave{n}")) for n in range(60)]
    await asyncio.sleep(0.05)
    await call("reply", urgent=True)
    await asyncio.gather(*queued)
    # 50 calls a second: the reply waits for one slot, not for the whole wave.
    assert order.index("reply") < 15, order.index("reply")
