"""A scheduled slot comes due: start its run once, hold it until quiet hours end, or record
it as missed.

`fire` is all a scheduler job does, and it is safe to call any number of times from any
number of processes: the run is keyed by (campaign, slot) under a unique constraint, a
missed slot is a run row with status `missed` under the same key, and only the call that
wrote the row reports it (so the press secretary is told once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.campaigns.schedule import Hold, Missed, Rules, decide, rules_for
from core.campaigns.scheduled import ACTIVE
from core.campaigns.store import audit
from core.sending.runs import materialise, start_run
from core.storage.models import Campaign, CampaignRun

SCHEDULER_ACTOR = "scheduler"


@dataclass(frozen=True)
class Fired:
    """What one call did. `outcome`: started (this call created the run), exists (the slot
    already has a run, from here or another process), held (start at `until`), missed
    (this call recorded it), inactive (paused, cancelled, done or gone)."""

    outcome: str
    run_id: int | None = None
    until: datetime | None = None
    late_by: timedelta | None = None


async def fire(
    engine: AsyncEngine, campaign_id: int, slot: datetime, now: datetime, *,
    defaults: Rules, channels: Sequence[str],
) -> Fired:
    """Start the campaign's run for `slot` if its rules allow it at `now`."""
    campaign = await _campaign(engine, campaign_id)
    if campaign is None or campaign.status not in ACTIVE:
        return Fired("inactive")
    existing = await _run_of(engine, campaign_id, slot)
    if existing is not None:
        return Fired("exists", existing)
    rules = rules_for(campaign.timezone, campaign.quiet_hours, campaign.lateness_limit_s,
                      defaults)
    decision = decide(slot, now, rules)
    if isinstance(decision, Hold):
        return Fired("held", until=decision.until)
    if isinstance(decision, Missed):
        return await _mark_missed(engine, campaign, slot, now, decision)
    targets = [c for c in channels if campaign.channels is None or c in campaign.channels]
    run = await start_run(engine, campaign_id, slot, targets)
    if not run.created:
        return Fired("exists", run.run_id)
    if campaign.cron is None:
        async with engine.begin() as conn:
            await conn.execute(update(Campaign).where(
                Campaign.id == campaign_id, Campaign.status == "scheduled").values(
                status="running"))
    await materialise(engine, run.run_id)
    return Fired("started", run.run_id)


async def _campaign(engine: AsyncEngine, campaign_id: int) -> Campaign | None:
    async with AsyncSession(engine) as session:
        return await session.get(Campaign, campaign_id)


async def _run_of(engine: AsyncEngine, campaign_id: int, slot: datetime) -> int | None:
    async with engine.connect() as conn:
        found = await conn.execute(select(CampaignRun.id).where(
            CampaignRun.campaign_id == campaign_id, CampaignRun.scheduled_for == slot))
        value = found.scalar_one_or_none()
    return None if value is None else int(value)


async def _mark_missed(
    engine: AsyncEngine, campaign: Campaign, slot: datetime, now: datetime, missed: Missed
) -> Fired:
    """The slot's run row with status missed, once; a one-off campaign is then done."""
    values: dict[str, Any] = {"campaign_id": campaign.id, "scheduled_for": slot,
                              "status": "missed", "channels": [], "finished_at": now}
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(CampaignRun).values(values).on_conflict_do_nothing()
        else:
            stmt = insert(CampaignRun).values(values).prefix_with("OR IGNORE")
        if (await conn.execute(stmt)).rowcount != 1:
            return Fired("exists")
        if campaign.cron is None:
            await conn.execute(update(Campaign).where(Campaign.id == campaign.id).values(
                status="done"))
        await audit(conn, SCHEDULER_ACTOR, "run.missed", {
            "campaign_id": campaign.id, "scheduled_for": slot.isoformat(),
            "late_by_s": int(missed.late_by.total_seconds())})
    return Fired("missed", late_by=missed.late_by)
