"""Scheduled campaigns as the scheduler reads them, and pausing and resuming a campaign.

A paused campaign's pending deliveries become `paused`: they leave the claim query's partial
index (status = 'pending'), so pausing costs the senders nothing; resuming makes them
pending again. A slot that comes due while a campaign is paused is judged when it resumes
(started if within the lateness limit, else missed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.campaigns.content import ContentError
from core.campaigns.store import CampaignNotFound, audit
from core.storage.models import Campaign, CampaignRun, Delivery

ACTIVE = ("scheduled", "running")  # statuses whose schedule the scheduler follows
SCHEDULED_COLUMNS = (Campaign.id, Campaign.status, Campaign.run_at, Campaign.cron,
                     Campaign.timezone, Campaign.quiet_hours, Campaign.lateness_limit_s)


@dataclass(frozen=True)
class ScheduledCampaign:
    """A campaign with a schedule: once (`run_at`) or repeating (`cron`)."""

    id: int
    status: str
    run_at: datetime | None
    cron: str | None
    timezone: str | None
    quiet_hours: str | None
    lateness_limit_s: int | None
    created_at: datetime
    last_slot: datetime | None  # the latest slot with a run (started, missed, …)


def _has_schedule() -> Any:
    return (Campaign.run_at.is_not(None)) | (Campaign.cron.is_not(None))


async def scheduled_campaigns(
    engine: AsyncEngine, statuses: Sequence[str] = ACTIVE
) -> list[ScheduledCampaign]:
    """Campaigns with a schedule in these statuses (by default those whose schedule is
    followed now: scheduled or running), oldest first."""
    last = (select(CampaignRun.campaign_id, func.max(CampaignRun.scheduled_for).label("last_slot"))
            .group_by(CampaignRun.campaign_id).subquery())
    query = (
        select(*SCHEDULED_COLUMNS, Campaign.created_at, last.c.last_slot)
        .outerjoin(last, last.c.campaign_id == Campaign.id)
        .where(Campaign.status.in_(list(statuses)), _has_schedule())
        .order_by(Campaign.id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [ScheduledCampaign(**dict(row._mapping)) for row in rows]


async def fingerprint(engine: AsyncEngine) -> tuple[Any, ...]:
    """What the scheduler's jobs are built from; any change (from any process, whatever
    wrote it) gives a different value. Reads only the campaigns that have a schedule."""
    query = (select(*SCHEDULED_COLUMNS).where(_has_schedule()).order_by(Campaign.id))
    async with engine.connect() as conn:
        return tuple(tuple(row) for row in (await conn.execute(query)).all())


async def _status(conn: AsyncConnection, campaign_id: int) -> tuple[str, str | None]:
    found = (await conn.execute(
        select(Campaign.status, Campaign.cron).where(Campaign.id == campaign_id))).first()
    if found is None:
        raise CampaignNotFound(f"Рассылки №{campaign_id} нет.")
    return str(found[0]), found[1]


def _runs(campaign_id: int) -> Any:
    return select(CampaignRun.id).where(CampaignRun.campaign_id == campaign_id)


async def pause_campaign(engine: AsyncEngine, campaign_id: int, actor: str) -> int:
    """Pause a scheduled or running campaign; returns how many deliveries wait now."""
    async with engine.begin() as conn:
        status, _cron = await _status(conn, campaign_id)
        if status == "paused":
            raise ContentError(f"Рассылка №{campaign_id} уже на паузе.")
        if status not in ACTIVE:
            raise ContentError(f"Рассылка №{campaign_id} {_FINAL.get(status, status)}: "
                               "ставить на паузу нечего.")
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(status="paused"))
        held = await conn.execute(
            update(Delivery)
            .where(Delivery.run_id.in_(_runs(campaign_id)), Delivery.status == "pending")
            .values(status="paused"))
        await audit(conn, actor, "campaign.pause", {"campaign_id": campaign_id})
        return max(held.rowcount, 0)


_FINAL = {"done": "уже завершена", "cancelled": "отменена", "draft": "ещё черновик"}


async def resume_campaign(engine: AsyncEngine, campaign_id: int, actor: str) -> int:
    """Resume a paused campaign; returns how many deliveries are pending again."""
    async with engine.begin() as conn:
        status, cron = await _status(conn, campaign_id)
        if status != "paused":
            raise ContentError(f"Рассылка №{campaign_id} не на паузе: продолжать нечего.")
        sending = (await conn.execute(
            select(func.count()).select_from(CampaignRun).where(
                CampaignRun.campaign_id == campaign_id,
                CampaignRun.status.in_(("materialising", "sending"))))).scalar_one()
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id).values(
            status="running" if sending and cron is None else "scheduled"))
        released = await conn.execute(
            update(Delivery)
            .where(Delivery.run_id.in_(_runs(campaign_id)), Delivery.status == "paused")
            .values(status="pending"))
        await audit(conn, actor, "campaign.resume", {"campaign_id": campaign_id})
        return max(released.rowcount, 0)


async def last_runs(engine: AsyncEngine, campaign_ids: Sequence[int]) -> dict[int, str]:
    """Each campaign's latest run status (for lists)."""
    latest = (select(CampaignRun.campaign_id, func.max(CampaignRun.scheduled_for).label("at"))
              .where(CampaignRun.campaign_id.in_(list(campaign_ids)))
              .group_by(CampaignRun.campaign_id).subquery())
    query = select(CampaignRun.campaign_id, CampaignRun.status).join(
        latest, (latest.c.campaign_id == CampaignRun.campaign_id)
        & (latest.c.at == CampaignRun.scheduled_for))
    async with engine.connect() as conn:
        return {int(cid): str(status) for cid, status in (await conn.execute(query)).all()}
