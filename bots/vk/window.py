"""The token's own ceiling, kept in the worker threads where every API call leaves.

The core's pacer spaces the sends it makes; it cannot see the calls the adapter makes on
its own (uploads, callback-button answers, long-poll keys, start-up settings). VK counts
them all against the token (20 requests/s). Like the core's pacer (core/sending/ratelimit.py), a
call may start only one window after the *answer* to the N-th previous call: that answer
proves the earlier request arrived, so whatever the network or thread scheduling delays,
no 1 s window at VK can hold N+1. In steady sending the core's pacer is the stricter one
and this window never waits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

GUARD_S = 0.005  # clock granularity between our monotonic clock and VK's


class _Call:
    __slots__ = ("end",)

    def __init__(self) -> None:
        self.end: float | None = None


class CallWindow:
    """At most `limit` calls whose arrivals can fall in any `window_s` seconds (threads)."""

    def __init__(self, limit: int, window_s: float = 1.0, guard_s: float = GUARD_S) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self._limit = limit
        self._span = window_s + guard_s
        self._calls: deque[_Call] = deque(maxlen=limit)
        self._changed = threading.Condition()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Block this thread until a call may start; the call ends when the block exits."""
        call = self._enter()
        try:
            yield
        finally:
            with self._changed:
                call.end = time.monotonic()
                self._changed.notify_all()

    def _enter(self) -> _Call:
        with self._changed:
            while True:
                wait = self._wait_s()
                if wait is not None and wait <= 0:
                    break
                self._changed.wait(timeout=wait)
            call = _Call()
            self._calls.append(call)
            return call

    def _wait_s(self) -> float | None:
        """Seconds until a call may start; None while the N-th previous one is unanswered."""
        if len(self._calls) < self._limit:
            return 0.0
        end = self._calls[0].end
        if end is None:
            return None
        return end + self._span - time.monotonic()
