"""Pacers that never exceed a ceiling in any window, and pause for a platform's retry_after.

A token bucket with capacity N allows 2N in some 1-second window (a full bucket plus the
refill); a sliding log of the last N send times does not: the next send may go only one
window after the N-th previous one. A small guard absorbs scheduling jitter between our
clock and the platform's, so its own window count never sees N+1.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable

Clock = Callable[[], float]

# Jitter between the moment we take a slot and the moment the request reaches the
# platform (event-loop scheduling, connection reuse). 2 % of a 1 s window keeps 98 %.
DEFAULT_GUARD_S = 0.02


class WindowLimiter:
    """At most `limit` slots in any `window_s` (+ guard) seconds."""

    def __init__(
        self,
        limit: int,
        window_s: float = 1.0,
        *,
        guard_s: float = DEFAULT_GUARD_S,
        clock: Clock = time.monotonic,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.span = window_s + guard_s
        self._clock = clock
        self._slots: deque[float] = deque(maxlen=limit)

    def next_free(self, now: float) -> float:
        """The earliest time a new slot may be taken."""
        if len(self._slots) < self.limit:
            return now
        return max(now, self._slots[0] + self.span)

    def take(self, at: float) -> None:
        self._slots.append(at)


class KeyedSpacing:
    """Per-key windows (per chat, per group) that forget keys once their window has passed."""

    def __init__(self, limit: int, window_s: float, *, guard_s: float = DEFAULT_GUARD_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self.guard_s = guard_s
        self._keys: dict[Hashable, WindowLimiter] = {}
        self._last_sweep = 0.0

    def next_free(self, key: Hashable, now: float) -> float:
        limiter = self._keys.get(key)
        return now if limiter is None else limiter.next_free(now)

    def take(self, key: Hashable, at: float) -> None:
        limiter = self._keys.get(key)
        if limiter is None:
            limiter = self._keys[key] = WindowLimiter(
                self.limit, self.window_s, guard_s=self.guard_s
            )
        limiter.take(at)
        self._sweep(at)

    def _sweep(self, now: float) -> None:
        # A million one-message chats must not leave a million entries behind.
        if now - self._last_sweep < self.window_s * 4 and len(self._keys) < 10_000:
            return
        self._last_sweep = now
        horizon = now - self.window_s - self.guard_s
        self._keys = {k: v for k, v in self._keys.items() if v._slots and v._slots[-1] > horizon}

    def __len__(self) -> int:
        return len(self._keys)


class Pacer:
    """The pacing of one channel account: a bot-wide ceiling, per-key spacing and pauses.

    `acquire(keys)` waits until a send to those keys (chat, group) fits every window and no
    retry_after pause is running, then takes the slot. Waiters are served in order.
    """

    def __init__(
        self,
        per_second: float,
        *,
        window_calls: int = 0,
        window_s: float = 0.0,
        per_key: dict[str, KeyedSpacing] | None = None,
        clock: Clock = time.monotonic,
        guard_s: float = DEFAULT_GUARD_S,
    ) -> None:
        self._clock = clock
        self._global = [WindowLimiter(max(1, int(per_second)), 1.0, guard_s=guard_s)]
        if window_calls and window_s:
            self._global.append(WindowLimiter(window_calls, window_s, guard_s=guard_s))
        self._per_key = per_key or {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (a platform's retry_after), from now."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self.pauses += 1

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def _ready_at(self, now: float, keys: dict[str, Hashable]) -> float:
        ready = max([now, self._paused_until] + [w.next_free(now) for w in self._global])
        for kind, key in keys.items():
            spacing = self._per_key.get(kind)
            if spacing is not None:
                ready = max(ready, spacing.next_free(key, now))
        return ready

    async def acquire(self, keys: dict[str, Hashable] | None = None) -> None:
        keys = keys or {}
        async with self._lock:
            while True:
                now = self._clock()
                ready = self._ready_at(now, keys)
                if ready <= now:
                    break
                await asyncio.sleep(ready - now)
            for window in self._global:
                window.take(now)
            for kind, key in keys.items():
                spacing = self._per_key.get(kind)
                if spacing is not None:
                    spacing.take(key, now)

    def key_ready_at(self, keys: dict[str, Hashable]) -> float:
        """When these keys' own spacing allows a send (ignores the bot-wide ceiling)."""
        now = self._clock()
        ready = now
        for kind, key in keys.items():
            spacing = self._per_key.get(kind)
            if spacing is not None:
                ready = max(ready, spacing.next_free(key, now))
        return ready
