"""Peak memory while sending one run, in a process of its own (so each size's peak is its own).

    python -m bench.memory sqlite:///…/rupor.sqlite3 COUNT

The database already holds a materialised run of COUNT deliveries on channel "loopback".
The child sends it with the core's ChannelSender through a counting recording channel and
prints one JSON line: the resident set size sampled every 20 ms (psutil) at its peak,
getrusage's maxrss, and the RSS just before sending began (imports, engine, adapters).

The channel is core.sending.recording.RecordingChannel with its per-recipient lists switched off
(`sent`, `attempts` grow with the audience by design: that is the fake's memory, not the
core's); it still answers every recipient with its own result.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.ports import DeliveryResult, Outbound, Status
from core.sending.recording import RecordingChannel

SAMPLE_S = 0.02


@dataclass
class CountingChannel(RecordingChannel):
    """A RecordingChannel that keeps counts instead of every recipient."""

    count: int = 0

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        first = self.count
        self.count += len(to)
        return [DeliveryResult(r, Status.SENT, str(first + i)) for i, r in enumerate(to)]


class PeakSampler:
    """The largest RSS seen by a background thread sampling every SAMPLE_S."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True, name="rss")

    def rss(self) -> int:
        return int(self._process.memory_info().rss)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


async def measure(url: str, count: int) -> dict[str, Any]:
    from bench.overhead import LOOPBACK
    from bench.wiring import send_all
    from core.sending.outbox import Policy
    from core.storage.engine import create_engine

    engine = create_engine(url)
    channel = CountingChannel(name="loopback", capabilities=LOOPBACK)
    try:
        sampler = PeakSampler()
        baseline = sampler.rss()
        began = time.perf_counter()
        with sampler:
            sent = await send_all(engine, {"loopback": channel}, {"loopback": Policy()},
                                  {"loopback": count})
        elapsed = time.perf_counter() - began
    finally:
        await engine.dispose()
    mib = 1024 * 1024
    return {
        "count": count, "sent": channel.count, "elapsed_s": round(elapsed, 2),
        "stalled": sent.stalled, "baseline_rss_mb": round(baseline / mib, 1),
        "peak_rss_mb": round(sampler.peak / mib, 1),
        # Linux reports ru_maxrss in KiB.
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1], int(sys.argv[2])))), flush=True)
