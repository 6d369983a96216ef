"""What a sender counts for the operator (Prometheus /metrics), and the queue's depth.

Counters live in memory and start at zero with the process, as Prometheus counters do; the
queue's depth is read from the partial indexes of pending and claimed deliveries, so a
scrape costs as much as the backlog, never the history.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports import DeliveryResult, Status
from core.sending.plan import RunPlan

log = logging.getLogger("rupor.dispatch")

# Both are served by a partial index (ix_deliveries_claim, ix_deliveries_leases).
QUEUED = ("pending", "claimed")


@dataclass
class SenderMetrics:
    """Platform answers by status, and the channel's pauses for a platform's retry_after."""

    answers: Counter[str] = field(default_factory=Counter)
    retry_after_waits: int = 0
    retry_after_seconds: float = 0.0

    def count(self, results: Sequence[DeliveryResult]) -> float:
        """One call's answers; returns how long the channel must pause for a platform's
        retry_after (0: no pause), counted as one wait."""
        self.answers.update(result.status.value for result in results)
        pause_s = max((r.retry_after or 1.0 for r in results
                       if r.status is Status.RETRY_AFTER), default=0.0)
        if pause_s > 0:
            self.retry_after_waits += 1
            self.retry_after_seconds += pause_s
        return pause_s

    @staticmethod
    def recorded(channel: str, tallies: Mapping[tuple[int, Status], int],
                 plans: Mapping[int, RunPlan]) -> None:
        """The wave log: a line per run and status of the results just recorded."""
        for (run_id, status), count in tallies.items():
            plan = plans.get(run_id)
            log.debug("%s: %d × %s recorded", channel, count, status.value, extra={
                "event": "wave.recorded", "channel": channel, "run_id": run_id,
                "campaign_id": plan.campaign_id if plan else None, "status": status.value,
                "count": count})


async def queue_depth(engine: AsyncEngine) -> dict[tuple[str, str], int]:
    """(channel, status) -> deliveries pending or claimed now."""
    depth: dict[tuple[str, str], int] = {}
    async with engine.connect() as conn:
        for status in QUEUED:
            rows = await conn.execute(
                text("SELECT channel, COUNT(*) FROM deliveries WHERE status = :s "
                     "AND channel IS NOT NULL GROUP BY channel"), {"s": status})
            for row in rows.all():
                depth[(str(row[0]), status)] = int(row[1])
    return depth


async def inbox_waiting(engine: AsyncEngine) -> int:
    """Inbound updates stored but not yet handled (ix_inbound_unhandled)."""
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT COUNT(*) FROM inbound WHERE handled_at IS NULL"))
        return int(found.scalar_one())
