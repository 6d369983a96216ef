"""The ledger of some runs, row by row: how many deliveries ended in each status, per
channel (what `rupor run --until-idle` sums up when it stops)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

_PER_CHANNEL = text(
    "SELECT channel, status, COUNT(*) FROM deliveries "
    "WHERE run_id IN :runs AND channel IS NOT NULL GROUP BY channel, status"
).bindparams(bindparam("runs", expanding=True))
_FLAGGED = text(
    "SELECT channel, COUNT(*) FROM deliveries WHERE run_id IN :runs AND channel IS NOT NULL "
    "AND was_uncertain GROUP BY channel"
).bindparams(bindparam("runs", expanding=True))


_SENDING = text(
    "SELECT d.channel, SUM(CASE WHEN d.status IN ('pending', 'claimed') THEN 0 ELSE 1 END), "
    "COUNT(*) FROM deliveries d JOIN campaign_runs r ON r.id = d.run_id "
    "WHERE r.status = 'sending' AND d.channel IS NOT NULL GROUP BY d.channel"
)


async def sending_per_channel(engine: AsyncEngine) -> dict[str, tuple[int, int]]:
    """channel -> (deliveries finished, deliveries in all) over the runs now sending: where a
    progress bar starts when part of a run went out before (another process, the chat)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(_SENDING)).all()
    return {str(channel): (int(str(done)), int(str(total))) for channel, done, total in rows}


async def statuses_per_channel(
    engine: AsyncEngine, run_ids: Collection[int]
) -> dict[str, Counter[str]]:
    """channel -> delivery status -> deliveries, over the given runs; "flagged" counts the
    deliveries that were uncertain at some point (they may have arrived twice)."""
    found: dict[str, Counter[str]] = {}
    if not run_ids:
        return found
    async with engine.connect() as conn:
        params = {"runs": sorted(run_ids)}
        for channel, status, count in (await conn.execute(_PER_CHANNEL, params)).all():
            found.setdefault(str(channel), Counter())[str(status)] += int(str(count))
        for channel, count in (await conn.execute(_FLAGGED, params)).all():
            found.setdefault(str(channel), Counter())["flagged"] += int(str(count))
    return dict(sorted(found.items()))
