"""The staff chat's news (core.staff.news on a real SQLite file): a finished run told once
across two `rupor run` processes and later rounds, with the reach and the gap; a channel's
failure and recovery told once per change, across processes and restarts; a run held by
quiet hours told once to the staff chat and to staff who are only on Viber."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.chat.notices import PressNotices
from core.access.grants import grant
from core.access.rules import Role
from core.audience.members import contact_for
from core.ports import Sender
from core.sending.runs import finish_runs, materialise, start_run
from core.staff.desk import StaffDesk
from core.staff.news import tell_channel, tell_finished
from core.storage.engine import create_engine
from core.storage.models import Delivery, Reply
from scheduler.service import SchedulerService
from tests.integration.test_scheduler import MEMBERS, RULES, Clock, _campaign, _union, ekb

STAFF_CHAT = "-1001"


def _desk(engine: AsyncEngine, reader: AsyncEngine) -> StaffDesk:
    return StaffDesk(engine, reader, {"telegram": True}, ZoneInfo("Asia/Yekaterinburg"),
                     {"telegram": STAFF_CHAT})


def _engines(db_url: str) -> list[AsyncEngine]:
    """Two processes' writers and their read-only readers (as `rupor run` has them)."""
    return [create_engine(db_url), create_engine(db_url),
            create_engine(db_url, readonly=True), create_engine(db_url, readonly=True)]


async def _news(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(Reply.content).order_by(Reply.id))
        return [" ".join(span[0] for span in content["spans"]) for (content,) in rows]


async def _finished_run(engine: AsyncEngine) -> int:
    await _union(engine)
    campaign_id = await _campaign(engine, title="Листок за декабрь", status="running")
    run = await start_run(engine, campaign_id, datetime.now(UTC), ["telegram"])
    await materialise(engine, run.run_id)
    async with engine.begin() as conn:
        first = (await conn.execute(select(Delivery.id).where(Delivery.run_id == run.run_id)
                                    .order_by(Delivery.id))).scalars().first()
        await conn.execute(update(Delivery).where(Delivery.run_id == run.run_id)
                           .values(status="sent"))
        await conn.execute(update(Delivery).where(Delivery.id == first).values(status="blocked"))
    assert await finish_runs(engine) == [run.run_id]
    return campaign_id


async def test_a_finished_run_is_told_once_across_two_processes(db_url: str) -> None:
    engines = _engines(db_url)
    first, second, read_a, read_b = engines
    try:
        campaign_id = await _finished_run(first)
        now = datetime.now(UTC)
        told = await asyncio.gather(
            tell_finished(first, read_a, _desk(first, read_a).post, now),
            tell_finished(second, read_b, _desk(second, read_b).post, now))
        assert sorted(told) == [0, 1]
        assert await tell_finished(first, read_a, _desk(first, read_a).post, now) == 0
        assert await _news(first) == [
            f"📬 Рассылка №{campaign_id} «Листок за декабрь» завершена: дошло {MEMBERS - 1} из "
            f"{MEMBERS} (80%).\nНе дошло 1, больше всего: Школа 1-1 — 1.\n"
            f"/report {campaign_id} — подробнее"]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_channel_is_told_once_per_change(db_url: str) -> None:
    engines = _engines(db_url)
    first, second, read_a, read_b = engines
    try:
        post_a, post_b = _desk(first, read_a).post, _desk(second, read_b).post
        assert not await tell_channel(first, post_a, "vk", failed=False)  # a normal start
        told = await asyncio.gather(
            tell_channel(first, post_a, "vk", True, "токен не принят: [5]", "token"),
            tell_channel(second, post_b, "vk", True, "токен не принят: [5]", "token"))
        assert sorted(told) == [False, True]
        assert await tell_channel(first, post_a, "vk", True, "нет связи", "network")
        assert await tell_channel(second, post_b, "vk", failed=False)  # after a restart too
        assert not await tell_channel(first, post_a, "vk", failed=False)
        assert await _news(first) == [
            "⚠️ ВКонтакте не работает: токен не принят: [5]. Рассылки и ответы через него ждут, "
            "бот сам повторяет попытки. Подробности — в журнале rupor run. Проверьте токен "
            "бота в разделе [vk] настроек: не отозван ли он, есть ли у бота права.",
            "⚠️ ВКонтакте не работает: нет связи. Рассылки и ответы через него ждут, "
            "бот сам повторяет попытки. Подробности — в журнале rupor run. Проверьте доступ "
            "сервера в интернет; если у платформы сбой — ждать.",
            "✅ ВКонтакте снова работает: рассылки и ответы через него идут."]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_held_run_reaches_the_staff_chat_and_viber_only_staff_once(db_url: str
                                                                          ) -> None:
    engines = _engines(db_url)
    first, second, read_a, read_b = engines
    try:
        await _union(first)
        async with first.begin() as conn:  # a staff member who holds a role only on Viber
            await grant(conn, "viber", "viber-staff", Role.STAFF, "cli")
            await contact_for(conn, Sender("viber", "viber-staff"))
        campaign_id = await _campaign(first, run_at=ekb(2025, 12, 10, 22, 0))
        clock = Clock(ekb(2025, 12, 10, 22, 0))

        def service(engine: AsyncEngine, reader: AsyncEngine) -> SchedulerService:
            desk = StaffDesk(engine, reader, {"telegram": True, "viber": False},
                             ZoneInfo("Asia/Yekaterinburg"), {"telegram": STAFF_CHAT})
            notices = PressNotices(engine, ["telegram", "viber"], staff_post=desk.post)
            return SchedulerService(engine, RULES, ["telegram"], clock=clock, notify=notices)

        await asyncio.gather(service(first, read_a).rebuild(), service(second, read_b).rebuild())
        await service(first, read_a).rebuild()  # a restart in the night
        held = (f"Рассылка №{campaign_id} «Листок» будет отправлена в 9:00 — сейчас "
                "тихие часы.")
        async with first.connect() as conn:
            rows = (await conn.execute(select(Reply.contact_id, Reply.content))).all()
        told = [contact for contact, content in rows if content["spans"][0][0] == held]
        assert len(told) == len(set(told)) == 2  # the staff chat, the Viber-only staff: once
    finally:
        for engine in engines:
            await engine.dispose()
