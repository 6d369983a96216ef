"""The scheduler on a real SQLite file with an injected clock: a run that came due while
Rupor was down starts once within the lateness limit and is recorded missed beyond it (the
press secretary told once, across restarts), quiet hours hold a run until morning, two
scheduler processes start one run, a schedule written by another process is followed within
seconds by the real AsyncIOScheduler, and pause/resume hold and release a run's deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.campaigns.schedule import default_rules
from core.campaigns.scheduled import pause_campaign, resume_campaign
from core.sending.outbox import claim
from core.sending.runs import finish_runs
from core.storage.engine import create_engine
from core.storage.models import Audit, Campaign, CampaignRun, Delivery
from scheduler.notices import MissedRun
from scheduler.service import SchedulerService
from tests.factories import add_members, make_union

EKB = ZoneInfo("Asia/Yekaterinburg")
RULES = default_rules("Asia/Yekaterinburg", "21:00-09:00", 360)
MEMBERS = 5


def ekb(*args: int) -> datetime:
    return datetime(*args, tzinfo=EKB).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _union(engine: AsyncEngine) -> None:
    union = await make_union(engine, districts=1, schools_per_district=1)
    await add_members(engine, union, MEMBERS, {"telegram": 1.0})


async def _campaign(engine: AsyncEngine, **values: Any) -> int:
    row = {"kind": "post", "title": "Листок", "content": {"text": "Листок"}, "audience": "all",
           "status": "scheduled", "created_at": ekb(2025, 11, 20, 10, 0), **values}
    async with engine.begin() as conn:
        found = await conn.execute(insert(Campaign).values(row).returning(Campaign.id))
        return int(found.scalar_one())


def _service(engine: AsyncEngine, clock: Clock, told: list[MissedRun] | None = None,
             **options: Any) -> SchedulerService:
    async def notify(missed: MissedRun) -> None:
        if told is not None:
            told.append(missed)

    return SchedulerService(engine, RULES, ["telegram"], clock=clock, notify=notify, **options)


async def _runs(engine: AsyncEngine, campaign_id: int) -> list[tuple[datetime, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(CampaignRun.scheduled_for, CampaignRun.status)
            .where(CampaignRun.campaign_id == campaign_id).order_by(CampaignRun.id))
        return [(at, status) for at, status in rows.all()]


async def _count(engine: AsyncEngine, query: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def _deliveries(status: str) -> Any:
    return select(func.count()).select_from(Delivery).where(Delivery.status == status)


async def test_due_within_the_lateness_limit_starts_once_across_restarts(engine: AsyncEngine):
    await _union(engine)
    slot = ekb(2025, 12, 10, 10, 0)
    campaign_id = await _campaign(engine, run_at=slot)
    clock = Clock(ekb(2025, 12, 10, 15, 0))  # Rupor was down for five hours
    await _service(engine, clock).rebuild()
    await _service(engine, clock).rebuild()  # and restarted once more
    assert await _runs(engine, campaign_id) == [(slot, "sending")]
    assert await _count(engine, _deliveries("pending")) == MEMBERS


async def test_due_beyond_the_limit_is_missed_and_told_once(engine: AsyncEngine):
    await _union(engine)
    slot = ekb(2025, 12, 10, 10, 0)
    campaign_id = await _campaign(engine, run_at=slot)
    told: list[MissedRun] = []
    clock = Clock(ekb(2025, 12, 10, 17, 0))  # seven hours late, none of them quiet
    await _service(engine, clock, told).rebuild()
    await _service(engine, clock, told).rebuild()
    assert await _runs(engine, campaign_id) == [(slot, "missed")]
    assert [(m.campaign_id, m.late_by) for m in told] == [(campaign_id, timedelta(hours=7))]
    assert await _count(engine, _deliveries("pending")) == 0
    missed = select(func.count()).select_from(Audit).where(Audit.action == "run.missed")
    assert await _count(engine, missed) == 1
    status = select(Campaign.status).where(Campaign.id == campaign_id)
    async with engine.connect() as conn:
        assert (await conn.execute(status)).scalar_one() == "done"


async def test_quiet_hours_hold_a_run_until_morning(engine: AsyncEngine):
    await _union(engine)
    slot = ekb(2025, 12, 10, 22, 0)
    campaign_id = await _campaign(engine, run_at=slot)
    clock = Clock(ekb(2025, 12, 10, 22, 30))
    service = _service(engine, clock)
    await service.rebuild()
    assert await _runs(engine, campaign_id) == []
    assert service.wake_at[campaign_id] == ekb(2025, 12, 11, 9, 0)
    clock.now = ekb(2025, 12, 11, 9, 0)
    await service.wake(campaign_id)
    assert await _runs(engine, campaign_id) == [(slot, "sending")]
    assert campaign_id not in service.wake_at  # a one-off: nothing more to wait for


async def test_monthly_cron_after_downtime_and_its_next_slot(engine: AsyncEngine):
    await _union(engine)
    campaign_id = await _campaign(engine, cron="0 10 1 * *")
    clock = Clock(ekb(2025, 12, 1, 12, 0))
    service = _service(engine, clock)
    await service.rebuild()
    assert await _runs(engine, campaign_id) == [(ekb(2025, 12, 1, 10, 0), "sending")]
    assert service.wake_at[campaign_id] == ekb(2026, 1, 1, 10, 0)


async def test_two_scheduler_processes_start_one_run(db_url: str):
    first, second = create_engine(db_url), create_engine(db_url)
    try:
        await _union(first)
        campaign_id = await _campaign(first, run_at=ekb(2025, 12, 10, 10, 0))
        clock = Clock(ekb(2025, 12, 10, 10, 0))
        await asyncio.gather(_service(first, clock).rebuild(), _service(second, clock).rebuild())
        assert len(await _runs(first, campaign_id)) == 1
        assert await _count(first, _deliveries("pending")) == MEMBERS
    finally:
        await first.dispose()
        await second.dispose()


async def _until(check: Callable[[], Any], timeout: float = 5.0) -> None:
    """Wait for an async condition to hold, failing after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def test_a_schedule_from_another_process_is_followed_within_seconds(db_url: str):
    ours, theirs = create_engine(db_url), create_engine(db_url)
    service = SchedulerService(ours, default_rules("UTC", "", 360), ["telegram"], poll_s=0.1)
    try:
        await _union(theirs)
        await service.start()
        slot = datetime.now(UTC) + timedelta(seconds=0.5)
        campaign_id = await _campaign(theirs, run_at=slot, created_at=datetime.now(UTC))

        async def started() -> bool:
            return len(await _runs(theirs, campaign_id)) == 1

        await _until(started)
        assert await _runs(theirs, campaign_id) == [(slot, "sending")]
    finally:
        await service.stop()
        await ours.dispose()
        await theirs.dispose()


async def test_pause_holds_deliveries_and_resume_releases_them(engine: AsyncEngine):
    await _union(engine)
    campaign_id = await _campaign(engine, run_at=ekb(2025, 12, 10, 10, 0))
    clock = Clock(ekb(2025, 12, 10, 10, 0))
    await _service(engine, clock).rebuild()
    assert await pause_campaign(engine, campaign_id, "cli") == MEMBERS
    assert await claim(engine, "telegram", sender_id=1, limit=100, lease_s=60) == []
    assert await finish_runs(engine) == []  # a paused run is not finished
    clock.now += timedelta(days=1)
    await _service(engine, clock).rebuild()  # a paused campaign is not followed
    assert await resume_campaign(engine, campaign_id, "cli") == MEMBERS
    assert len(await claim(engine, "telegram", sender_id=1, limit=100, lease_s=60)) == MEMBERS
