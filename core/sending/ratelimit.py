"""Pacers that never exceed a ceiling in any window, and pause for a platform's retry_after.

A token bucket with capacity N allows 2N in some 1-second window (a full bucket plus the
refill). A sliding log of send *start* times is not enough either: a platform counts
arrivals, and an earlier request delayed by the network or a busy event loop can arrive
close to a later one. So every slot is finished when its answer comes back — a request
has surely arrived by then — and a new call may start only one window after the answer
to the N-th previous call. Whatever the jitter, no window at the platform can hold N+1.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable

Clock = Callable[[], float]

GUARD_S = 0.005  # clock granularity between our monotonic clock and the platform's
# How far calls may run ahead of the even spacing before they wait, and how much faster
# than the window's average the spacing is: a call that started late (a busy event loop)
# is caught up within the windows instead of being lost for good.
SMOOTH_TOLERANCE_S = 0.05
SMOOTH_CATCH_UP = 1.1


class Slot:
    """One call's place in every window it counts against; finish it when answered."""

    __slots__ = ("start", "end", "_finished", "_clock")

    def __init__(self, start: float, clock: Clock) -> None:
        self.start = start
        self.end: float | None = None
        self._finished: asyncio.Event | None = None
        self._clock = clock

    def finish(self) -> None:
        if self.end is None:
            self.end = self._clock()
            if self._finished is not None:
                self._finished.set()

    async def finished(self) -> None:
        if self.end is None:
            if self._finished is None:
                self._finished = asyncio.Event()
            await self._finished.wait()


class WindowLimiter:
    """At most `limit` calls whose arrivals can fall in any `window_s` seconds."""

    def __init__(self, limit: int, window_s: float = 1.0, *, guard_s: float = GUARD_S) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.span = window_s + guard_s
        self._slots: deque[Slot] = deque(maxlen=limit)

    def blocker(self, now: float) -> float | Slot:
        """When a new call may start, or the unanswered slot it must wait for."""
        if len(self._slots) < self.limit:
            return now
        oldest = self._slots[0]
        if oldest.end is None:
            return oldest
        return max(now, oldest.end + self.span)

    def take(self, slot: Slot) -> None:
        self._slots.append(slot)

    @property
    def last(self) -> Slot | None:
        return self._slots[-1] if self._slots else None


class KeyedSpacing:
    """Per-key windows (per chat, per group) that forget keys once their window has passed."""

    def __init__(self, limit: int, window_s: float, *, guard_s: float = GUARD_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self.guard_s = guard_s
        self._keys: dict[Hashable, WindowLimiter] = {}
        self._last_sweep = 0.0

    def blocker(self, key: Hashable, now: float) -> float | Slot:
        limiter = self._keys.get(key)
        return now if limiter is None else limiter.blocker(now)

    def take(self, key: Hashable, slot: Slot) -> None:
        limiter = self._keys.get(key)
        if limiter is None:
            limiter = self._keys[key] = WindowLimiter(self.limit, self.window_s,
                                                      guard_s=self.guard_s)
        limiter.take(slot)
        self._sweep(slot.start)

    def _sweep(self, now: float) -> None:
        # A million one-message chats must not leave a million entries behind.
        if now - self._last_sweep < self.window_s * 4 and len(self._keys) < 10_000:
            return
        self._last_sweep = now
        horizon = now - self.window_s - self.guard_s
        self._keys = {k: v for k, v in self._keys.items() if _recent(v.last, horizon)}

    def __len__(self) -> int:
        return len(self._keys)


def _recent(slot: Slot | None, horizon: float) -> bool:
    return slot is not None and (slot.end is None or slot.end > horizon)


class Pacer:
    """The pacing of one channel account: a bot-wide ceiling, per-key spacing and pauses.

    `acquire(keys)` waits until a call to those keys (chat, group) fits every window and no
    retry_after pause is running, then returns its Slot; the caller finishes the slot when
    the platform answered. Waiters are served in order.

    Calls are also spread evenly at about the tightest window's average rate (a cell rate
    algorithm that lets them run at most SMOOTH_TOLERANCE_S ahead). The windows alone would
    let N calls start at once: the platform then answers them one after another, and the
    (N+1)-th call waits for the answer to the first plus the queue behind it, every window.
    """

    def __init__(
        self, per_second: float, *, window_calls: int = 0, window_s: float = 0.0,
        per_key: dict[str, KeyedSpacing] | None = None, clock: Clock = time.monotonic,
        guard_s: float = GUARD_S,
    ) -> None:
        self._clock = clock
        self._global = [WindowLimiter(max(1, int(per_second)), 1.0, guard_s=guard_s)]
        if window_calls and window_s:
            self._global.append(WindowLimiter(window_calls, window_s, guard_s=guard_s))
        self._spacing = max((w.span - guard_s) / w.limit for w in self._global) / SMOOTH_CATCH_UP
        self._next = 0.0  # the theoretical start of the next call when evenly spaced
        self._per_key = per_key or {}
        self._paused_until = 0.0
        self._waiters: deque[tuple[dict[str, Hashable], asyncio.Future[Slot]]] = deque()
        # Waiters that go before every ordinary one (replies to people waiting for them).
        self._urgent: deque[tuple[dict[str, Hashable], asyncio.Future[Slot]]] = deque()
        self._admitter: asyncio.Task[None] | None = None
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        """Stop every call for `seconds` (a platform's retry_after), from now."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self.pauses += 1

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def _blocker(self, now: float, keys: dict[str, Hashable]) -> float | Slot:
        """An unanswered slot the call must wait for, else the time it may start."""
        ready = max(self._paused_until, self._next - SMOOTH_TOLERANCE_S)
        blockers = [w.blocker(now) for w in self._global]
        for kind, key in keys.items():
            spacing = self._per_key.get(kind)
            if spacing is not None:
                blockers.append(spacing.blocker(key, now))
        for blocker in blockers:
            if isinstance(blocker, Slot):
                return blocker
            ready = max(ready, blocker)
        return ready

    def _take(self, now: float, keys: dict[str, Hashable]) -> Slot:
        slot = Slot(now, self._clock)
        self._next = max(self._next, now) + self._spacing
        for window in self._global:
            window.take(slot)
        for kind, key in keys.items():
            spacing = self._per_key.get(kind)
            if spacing is not None:
                spacing.take(key, slot)
        return slot

    async def acquire(self, keys: dict[str, Hashable] | None = None, *,
                      urgent: bool = False) -> Slot:
        """`urgent`: served before every waiter that is not (a reply waits for one slot,
        never for the broadcast calls queued before it)."""
        keys = keys or {}
        if not self._waiters and not self._urgent:
            now = self._clock()
            ready = self._blocker(now, keys)
            if not isinstance(ready, Slot) and ready <= now:
                return self._take(now, keys)
        waiter: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._waiters).append((keys, waiter))
        if urgent and self._admitter is not None and not self._admitter.done():
            self._admitter.cancel()  # it may be waiting for an ordinary waiter's own keys
            self._admitter = None
        if self._admitter is None or self._admitter.done():
            self._admitter = asyncio.create_task(self._admit(), name="pacer-admit")
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                waiter.result().finish()  # admitted as it was cancelled: the slot still counts
            raise

    async def _admit(self) -> None:
        """Give the waiters their slots in order, as many in one go as the windows allow.

        One task hands out the slots: with a lock each waiter had to wake the next, one per
        turn of the event loop, so a loop busy with 1,000 answers a second fell behind the
        windows and never caught up.
        """
        while self._waiters or self._urgent:
            queue = self._urgent or self._waiters
            keys, waiter = queue[0]
            if waiter.done():  # its caller was cancelled while waiting
                queue.popleft()
                continue
            now = self._clock()
            ready = self._blocker(now, keys)
            if isinstance(ready, Slot):
                await ready.finished()
            elif ready > now:
                await asyncio.sleep(ready - now)
            else:
                queue.popleft()
                waiter.set_result(self._take(now, keys))

    def key_ready_at(self, keys: dict[str, Hashable]) -> float:
        """When these keys' own spacing allows a call, as far as known now (ignores the
        bot-wide ceiling; an unanswered call to the key counts as "not before now")."""
        now = self._clock()
        ready = now
        for kind, key in keys.items():
            spacing = self._per_key.get(kind)
            if spacing is not None:
                blocker = spacing.blocker(key, now)
                if isinstance(blocker, float):
                    ready = max(ready, blocker)
        return ready
