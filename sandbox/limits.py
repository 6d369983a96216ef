"""Rate windows and retry_after bookkeeping shared by the three emulators.

The emulators judge arrivals the way a platform does: by the time a request reaches
them. Everything here is pure bookkeeping on monotonic timestamps, so tests can feed
their own clock.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

Clock = Callable[[], float]

# A request that reaches us this soon after a 429 was announced was already in flight
# when the client learned of the window; it is refused but not counted as a violation.
IN_FLIGHT_GRACE_S = 0.05


class SlidingWindow:
    """At most `limit` events in any `window_s` seconds; remembers the busiest window."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: deque[float] = deque()
        self.max_in_window = 0

    def _trim(self, now: float) -> None:
        while self._events and self._events[0] <= now - self.window_s:
            self._events.popleft()

    def would_exceed(self, now: float) -> bool:
        self._trim(now)
        return len(self._events) >= self.limit

    def retry_after(self, now: float) -> float:
        """Seconds until one more event fits."""
        self._trim(now)
        if len(self._events) < self.limit:
            return 0.0
        return max(0.0, self._events[-self.limit] + self.window_s - now)

    def record(self, now: float) -> None:
        self._trim(now)
        self._events.append(now)
        self.max_in_window = max(self.max_in_window, len(self._events))


class WindowBook:
    """One SlidingWindow per key (per bot, per chat, per group...)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._windows: dict[Hashable, SlidingWindow] = {}

    def get(self, key: Hashable) -> SlidingWindow:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(self.limit, self.window_s)
        return window

    @property
    def max_in_window(self) -> int:
        return max((w.max_in_window for w in self._windows.values()), default=0)


@dataclass
class RetryWindows:
    """Windows announced by 429 answers, per scope, and the requests that ignored them."""

    grace_s: float = IN_FLIGHT_GRACE_S
    _until: dict[Hashable, tuple[float, float]] = field(default_factory=dict)
    violations: int = 0
    violations_by_scope: dict[Hashable, int] = field(default_factory=lambda: defaultdict(int))

    def announce(self, scope: Hashable, now: float, retry_after_s: float) -> None:
        current = self._until.get(scope)
        until = now + retry_after_s
        if current is None or current[1] < until:
            self._until[scope] = (now, until)

    def check(self, scope: Hashable, now: float) -> float:
        """Seconds left in the scope's window (0 when none); counts a violation when due."""
        window = self._until.get(scope)
        if window is None:
            return 0.0
        announced_at, until = window
        if now >= until:
            del self._until[scope]
            return 0.0
        if now > announced_at + self.grace_s:
            self.violations += 1
            self.violations_by_scope[scope] += 1
        return until - now


def monotonic() -> float:
    return time.monotonic()
