"""The scheduler tells the press secretary in chat (bots.chat.notices.PressNotices as its
`notify`, on a real SQLite file with an injected clock): a missed run and a run held by
quiet hours become one queued reply per press or admin account that has a contact — once,
across two scheduler processes and restarts; staff accounts and accounts that never wrote
to the bot get nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.chat.notices import PressNotices
from core.access.grants import grant
from core.access.rules import Role
from core.storage.engine import create_engine
from core.storage.models import Contact, Reply
from scheduler.service import SchedulerService
from tests.integration.test_scheduler import RULES, Clock, _campaign, _union, ekb

PRESS, STAFF, ADMIN_WITHOUT_CONTACT = "100000", "100001", "999"


async def _roles(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await grant(conn, "telegram", PRESS, Role.PRESS, "cli")
        await grant(conn, "telegram", STAFF, Role.STAFF, "cli")
        await grant(conn, "telegram", ADMIN_WITHOUT_CONTACT, Role.ADMIN, "cli")


def _service(engine: AsyncEngine, clock: Clock, woken: list[int]) -> SchedulerService:
    notices = PressNotices(engine, ["telegram"], on_queued=lambda: woken.append(1))
    return SchedulerService(engine, RULES, ["telegram"], clock=clock, notify=notices)


async def _told(engine: AsyncEngine) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(Contact.external_id, Reply.content).join(Contact, Contact.id == Reply.contact_id)
            .where(Reply.status == "pending").order_by(Reply.id))
        return [(account, " ".join(s[0] for s in content["spans"])) for account, content in rows]


async def _scene(engine: AsyncEngine, **campaign: Any) -> int:
    await _union(engine)
    await _roles(engine)
    return await _campaign(engine, **campaign)


async def test_a_missed_run_is_told_once_to_the_press_secretary(db_url: str) -> None:
    first, second = create_engine(db_url), create_engine(db_url)
    woken: list[int] = []
    try:
        campaign_id = await _scene(first, run_at=ekb(2025, 12, 1, 10, 0), title="Листок за декабрь")
        clock = Clock(ekb(2025, 12, 1, 17, 0))  # seven hours late, none of them quiet
        await asyncio.gather(_service(first, clock, woken).rebuild(),
                             _service(second, clock, woken).rebuild())
        await _service(first, clock, woken).rebuild()  # a restart
        assert await _told(first) == [(PRESS, (
            f"Рассылка №{campaign_id} «Листок за декабрь» не отправлена: запуск на 1 декабря, "
            "10:00 пропущен — сервер был выключен дольше допустимого (6 ч). Отправить сейчас: "
            f"/resend {campaign_id}"))]
        assert woken == [1]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_run_held_by_quiet_hours_is_told_once_when_the_hold_starts(db_url: str) -> None:
    first, second = create_engine(db_url), create_engine(db_url)
    woken: list[int] = []
    try:
        campaign_id = await _scene(first, run_at=ekb(2025, 12, 10, 22, 0))
        clock = Clock(ekb(2025, 12, 10, 22, 0))
        await asyncio.gather(_service(first, clock, woken).rebuild(),
                             _service(second, clock, woken).rebuild())
        clock.now += timedelta(hours=2)
        await _service(first, clock, woken).rebuild()  # a restart in the night
        assert await _told(first) == [
            (PRESS, f"Рассылка №{campaign_id} «Листок» будет отправлена в 9:00 — сейчас "
                    "тихие часы.")]
        clock.now = ekb(2025, 12, 11, 9, 0)
        await _service(first, clock, woken).rebuild()  # the morning: started, nothing told
        assert len(await _told(first)) == 1
    finally:
        await first.dispose()
        await second.dispose()


async def test_nobody_to_tell_queues_nothing(engine: AsyncEngine) -> None:
    await _union(engine)
    await _campaign(engine, run_at=ekb(2025, 12, 1, 10, 0))
    woken: list[int] = []
    await _service(engine, Clock(ekb(2025, 12, 2, 10, 0)), woken).rebuild()
    assert await _told(engine) == []
    assert woken == []
