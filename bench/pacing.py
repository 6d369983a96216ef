"""Where a pacer cycle goes, measured from Rupor's side (read-only instruments).

The core's pacer starts call k + N only one window (plus a 5 ms guard) after the ANSWER to
call k, so N calls take window + guard + answer(k) + start lag, where the start lag is how
much later than allowed call k + N actually started (no work claimed yet, a busy event
loop). `decompose` measures both over the steady part of the run; `LoopLag` measures how
late the event loop wakes a 10 ms sleeper.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from core.ports import Channel, DeliveryResult, Outbound
from core.sending.ratelimit import GUARD_S

Calls = list[tuple[float, float]]  # (start, answer) on the monotonic clock, per call


def time_calls(channel: Channel, calls: Calls) -> None:
    """Record every send's start and answer time (wraps the adapter instance's send)."""
    send: Callable[[Sequence[str], Outbound], Awaitable[list[DeliveryResult]]] = channel.send

    async def timed(to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        began = time.monotonic()
        try:
            return await send(to, msg)
        finally:
            calls.append((began, time.monotonic()))

    setattr(channel, "send", timed)  # noqa: B010 - an instance attribute shadows the method


def decompose(calls: Calls, per_window: int, window_s: float = 1.0, trim: float = 0.1
              ) -> dict[str, Any]:
    """Mean answer time of the call each pacer slot waited for, and the start lag, in ms."""
    ordered = sorted(calls)
    count = len(ordered)
    low, high = int(trim * count), int((1 - trim) * count) - per_window
    if high - low < 1:
        return {"answer_ms": None, "start_lag_ms": None}
    waited = range(low, high)
    answer = statistics.fmean(ordered[k][1] - ordered[k][0] for k in waited)
    lag = statistics.fmean(
        ordered[k + per_window][0] - (ordered[k][1] + window_s + GUARD_S) for k in waited)
    return {"answer_ms": round(1000 * answer, 1), "start_lag_ms": round(1000 * lag, 1)}


class LoopLag:
    """How late the event loop wakes a task sleeping 10 ms, between start() and stop()."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _measure(self) -> None:
        while True:
            began = time.monotonic()
            await asyncio.sleep(0.01)
            self.lags.append(time.monotonic() - began - 0.01)

    def start(self) -> None:
        self._task = asyncio.create_task(self._measure(), name="bench-loop-lag")

    async def stop(self) -> dict[str, float | None]:
        """Stop measuring; the 99th percentile and the worst lag, in ms."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        ordered = sorted(self.lags)
        if not ordered:
            return {"loop_lag_p99_ms": None, "loop_lag_max_ms": None}
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return {"loop_lag_p99_ms": round(1000 * p99, 1),
                "loop_lag_max_ms": round(1000 * ordered[-1], 1)}
