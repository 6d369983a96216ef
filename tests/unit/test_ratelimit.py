"""The pacer never lets a platform see more than N arrivals in any window."""

from __future__ import annotations

import asyncio
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from core.sending.ratelimit import KeyedSpacing, Pacer, Slot, WindowLimiter


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 40),
    latencies=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=150),
    arrival_share=st.lists(st.floats(0.0, 1.0), min_size=150, max_size=150),
)
def test_arrivals_never_exceed_the_limit_whatever_the_latency(
    limit: int, latencies: list[float], arrival_share: list[float]
) -> None:
    """Each call starts when the limiter allows it, is answered `latency` later, and reaches
    the platform at any moment in between; no 1-second window holds more than `limit`."""
    limiter = WindowLimiter(limit, 1.0)
    now, arrivals = 0.0, []
    for latency, share in zip(latencies, arrival_share, strict=False):
        blocker = limiter.blocker(now)
        while isinstance(blocker, Slot):  # wait for that answer, as acquire() does
            assert blocker.end is not None
            now = max(now, blocker.end)
            blocker = limiter.blocker(now)
        now = max(now, blocker)
        slot = Slot(now, clock=lambda: 0.0)
        limiter.take(slot)
        slot.end = now + latency
        arrivals.append(now + share * latency)
    assert max_in_window(arrivals, 1.0) <= limit


def test_a_full_window_without_answers_blocks_on_the_oldest_call() -> None:
    limiter = WindowLimiter(2, 1.0)
    first, second = Slot(0.0, lambda: 0.0), Slot(0.1, lambda: 0.1)
    limiter.take(first)
    limiter.take(second)
    assert limiter.blocker(0.2) is first
    first.end = 0.3
    assert limiter.blocker(0.4) == 0.3 + limiter.span


def test_keyed_spacing_forgets_old_keys() -> None:
    spacing = KeyedSpacing(1, 1.0)
    for key in range(20_000):
        slot = Slot(key * 0.001, lambda: 0.0)
        slot.end = slot.start
        spacing.take(key, slot)
    assert len(spacing) < 10_001


async def test_the_pacer_holds_30_per_second_with_jittery_calls() -> None:
    pacer = Pacer(30)
    arrivals: list[float] = []
    rng = random.Random(7)

    async def call() -> None:
        slot = await pacer.acquire()
        latency = rng.uniform(0.0, 0.08)
        await asyncio.sleep(latency * rng.random())
        arrivals.append(time.monotonic())
        await asyncio.sleep(latency)
        slot.finish()

    await asyncio.wait_for(asyncio.gather(*(call() for _ in range(75))), timeout=30)
    assert max_in_window(arrivals, 1.0) <= 30
    assert len(arrivals) == 75


async def test_a_pause_stops_every_call_until_it_ends() -> None:
    pacer = Pacer(1000)
    slot = await pacer.acquire()
    slot.finish()
    pacer.pause(0.3)
    paused_at = time.monotonic()
    slot = await asyncio.wait_for(pacer.acquire(), timeout=5)
    slot.finish()
    assert time.monotonic() - paused_at >= 0.29


async def test_per_chat_spacing_does_not_hold_up_other_chats() -> None:
    pacer = Pacer(1000, per_key={"chat": KeyedSpacing(1, 1.0)})
    first = await pacer.acquire({"chat": "a"})
    first.finish()
    assert pacer.key_ready_at({"chat": "a"}) > time.monotonic() + 0.5
    started = time.monotonic()
    other = await asyncio.wait_for(pacer.acquire({"chat": "b"}), timeout=5)
    other.finish()
    assert time.monotonic() - started < 0.5
