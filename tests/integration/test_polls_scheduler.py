"""A poll's deadline and reminder through the scheduler service (issue 15, item 4): a
deadline that passes while Rupor is down closes at the next start; the reminder goes once
even with two services on one database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.audience.roles import Role
from core.campaigns.schedule import default_rules
from core.polls.create import create_poll
from core.polls.spec import NewPoll
from core.sending.recording import RecordingChannel
from core.storage.models import Audit, Reply
from core.storage.poll_tables import Poll
from scheduler.service import SchedulerService
from tests.factories import add_members, make_union
from tests.unit.test_queue import drain

RULES = default_rules("Europe/Moscow", "21:00-09:00", 360)


def clock_at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def _closed_at(engine: AsyncEngine, poll_id: int) -> datetime | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(Poll.closed_at).where(Poll.id == poll_id))).scalar()


async def _poll(engine: AsyncEngine, now: datetime) -> int:
    union = await make_union(engine)
    await add_members(engine, union, 12, {"telegram": 1.0},
                      roles=int(Role.MEMBER | Role.YOUNG_TEACHER))
    new = NewPoll("Какие темы для школы молодого педагога?", ("Цифровые сервисы", "Право"),
                  now + timedelta(days=1), multiple=True, remind_at=now + timedelta(hours=20))
    created = await create_poll(engine, new, ["telegram"], now)
    await drain(engine, RecordingChannel("telegram"))
    return created.poll_id


async def test_a_deadline_passed_while_down_closes_at_the_next_start(engine: AsyncEngine
                                                                     ) -> None:
    now = datetime.now(UTC)
    poll_id = await _poll(engine, now)
    before = SchedulerService(engine, RULES, ["telegram"], clock=clock_at(now), poll_s=60)
    await before.start()
    await before.stop()
    assert await _closed_at(engine, poll_id) is None
    # Rupor was down over the deadline; the next start closes the poll at once.
    later = now + timedelta(days=2)
    after = SchedulerService(engine, RULES, ["telegram"], clock=clock_at(later), poll_s=60)
    await after.start()
    await after.stop()
    assert await _closed_at(engine, poll_id) == later
    async with engine.connect() as conn:
        closes = (await conn.execute(select(func.count()).select_from(Audit).where(
            Audit.action == "poll.close"))).scalar_one()
    assert closes == 1


async def test_the_reminder_goes_once_with_two_services(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    await _poll(engine, now)
    moment = clock_at(now + timedelta(hours=21))
    services = [SchedulerService(engine, RULES, ["telegram"], clock=moment, poll_s=60)
                for _ in range(2)]
    for service in services:
        await service.start()
    for service in services:
        await service.polls_due()
        await service.stop()
    async with engine.connect() as conn:
        reminders = (await conn.execute(select(func.count()).select_from(Reply))).scalar_one()
    assert reminders == 12
