"""The digest's monthly jobs with an injected clock on a real SQLite file: the reminder on
the 25th at 10:00 goes once to exactly the staff account without a report; on the 1st at
09:00 the previous month's digest is built once and handed to delivery."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.digest.build import Built
from bots.digest.monthly import MonthlyDigest
from core.storage.models import Contact, Reply
from tests.digest_support import NOVEMBER, make_month

MSK = ZoneInfo("Europe/Moscow")


async def _reminded(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(Contact.external_id, Reply.content).join(
            Reply, Reply.contact_id == Contact.id).order_by(Reply.id))
        return [str(account) for account, content in rows.all()
                if "Напоминание: до конца месяца пришлите отчёт" in str(content)]


async def test_the_monthly_jobs_run_once_when_due(engine: AsyncEngine) -> None:
    await make_month(engine)
    now = [datetime(2026, 11, 25, 9, 59, tzinfo=MSK)]
    delivered: list[tuple[Built, int]] = []

    async def deliver(built: Built, media_id: int) -> int:
        delivered.append((built, media_id))
        return 1

    jobs = MonthlyDigest(engine, "Europe/Moscow", deliver, clock=lambda: now[0])
    await jobs.tick()
    assert await _reminded(engine) == []
    now[0] = datetime(2026, 11, 25, 10, 0, tzinfo=MSK)
    await jobs.tick()
    await jobs.tick()
    assert await _reminded(engine) == ["100002"]
    assert delivered == []
    now[0] = datetime(2026, 12, 1, 9, 5, tzinfo=MSK)
    await jobs.tick()
    await jobs.tick()
    assert [(b.content.month, b.counts["reports"]) for b, _ in delivered] == [(NOVEMBER, 3)]
