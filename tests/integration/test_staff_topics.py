"""Members' forum topics in a Telegram staff chat (core.staff.topics) on a real SQLite file,
through the real adapter against the emulator: one topic per member even when two
`rupor run` processes race for it, every question of the member (from any messenger) in
it, a deleted topic made again with the question posted again, the chat itself when topics
may not be made, what a message written in a topic answers, and the topic row in the
member's export and gone with their erasure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram import TelegramChannel
from core.ports import ForumTopics, Text
from core.privacy.erase import erase
from core.privacy.export import export
from core.sending.replies import claim_replies, record_reply
from core.staff.desk import StaffDesk
from core.staff.questions import mark_answered
from core.staff.topic_rows import topic_question
from core.storage.engine import create_engine
from core.storage.models import Contact, Inbound, Reply
from core.storage.staff_tables import StaffTopic
from tests.factories import add_members, make_union
from tests.integration.test_telegram_support import TOKEN, Inbox, TgRig, eventually, start_rig

FIRST = 100000  # tests.factories: the n-th member's ids are 100000 + n on each messenger


@pytest.fixture
async def reader(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The read-only engine `rupor run` reads with beside its writer."""
    made = create_engine(db_url, readonly=True)
    yield made
    await made.dispose()


@pytest.fixture
async def tg() -> AsyncIterator[TgRig]:
    made = await start_rig(bot_ceiling=1000, per_chat_per_s=100, per_group_per_min=1000)
    yield made
    await made.close()


async def _forum(tg: TgRig, engine: AsyncEngine, *, manage_topics: bool = True
                 ) -> tuple[int, TelegramChannel]:
    """Two members (Telegram and VK each), a staff forum with the bot in it, the channel."""
    await add_members(engine, await make_union(engine), 2, {"telegram": 1.0, "vk": 1.0})
    staff = tg.member(first_name="Ольга")
    chat = tg.emulator.add_group("Аппарат крайкома", member_ids=[staff])
    tg.emulator.add_bot_to_group(TOKEN, chat)
    tg.emulator.make_forum(chat, manage_topics=manage_topics)
    for n in range(2):
        tg.member(user_id=FIRST + n)
    return chat, tg.channel()


def _desk(engine: AsyncEngine, reader: AsyncEngine, chat: int, channel: Any) -> StaffDesk:
    forums: dict[str, ForumTopics] = {"telegram": channel}
    return StaffDesk(engine, reader, {"telegram": True, "vk": True}, ZoneInfo("Europe/Moscow"),
                     {"telegram": str(chat)}, forums=forums.get)


async def _ask(engine: AsyncEngine, channel: str, member: int, text: str) -> int:
    """A member's question, as the inbox files it."""
    async with engine.begin() as conn:
        contact = (await conn.execute(select(Contact.id).where(
            Contact.channel == channel, Contact.external_id == str(FIRST + member)))).scalar()
        found = await conn.execute(insert(Inbound).values(
            channel=channel, platform_event_id=f"{channel}-{text}", contact_id=contact,
            kind="text", text=text, event={}, is_feedback=True).returning(Inbound.id))
        return int(found.scalar_one())


async def _send(engine: AsyncEngine, channel: TelegramChannel) -> list[str]:
    """The queued replies sent through the adapter, as the channel's sender sends them."""
    statuses = []
    for reply in await claim_replies(engine, "telegram", 50):
        [result] = await channel.send([reply.recipient], reply.message)
        await record_reply(engine, "telegram", reply, reply.message, result)
        statuses.append(result.status.value)
    return statuses


def _in_topics(tg: TgRig, chat: int) -> dict[int | None, list[str]]:
    found: dict[int | None, list[str]] = {}
    for message in tg.log(chat):
        if message.get("text"):
            found.setdefault(message.get("message_thread_id"), []).append(message["text"])
    return found


async def _topics(engine: AsyncEngine) -> list[tuple[str, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(StaffTopic.member, StaffTopic.thread_id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_two_processes_make_one_topic_and_every_question_goes_there(
    tg: TgRig, engine: AsyncEngine, db_url: str
) -> None:
    chat, channel = await _forum(tg, engine)
    engines = [create_engine(db_url), create_engine(db_url, readonly=True),
               create_engine(db_url, readonly=True)]
    other, read_a, read_b = engines
    try:
        await _ask(engine, "telegram", 0, "Когда индексация?")
        first, second = _desk(engine, read_a, chat, channel), _desk(other, read_b, chat, channel)
        await asyncio.gather(first.notify_questions(), second.notify_questions())
        await first.notify_questions()
        await second.notify_questions()
        [(thread, name)] = tg.emulator.topics(chat).items()
        assert name == "Член 0 · Школа 1-1 · Район 1"
        await _ask(engine, "vk", 0, "А отпуск?")  # the same member, from VK
        await _ask(engine, "telegram", 1, "Путёвки есть?")  # another member
        for _ in range(3):
            await first.notify_questions()
        assert await _send(engine, channel) == ["sent"] * 3
        topics = _in_topics(tg, chat)
        assert len(tg.emulator.topics(chat)) == 2 and None not in topics
        assert [("Когда индексация?" in t, "А отпуск?" in t) for t in topics[thread]] == [
            (True, False), (False, True)]
        assert "ВКонтакте" in topics[thread][1] and "напишите в этой теме" in topics[thread][1]
        assert sorted(m for m, _ in await _topics(engine)) == ["p1", "p2"]
    finally:
        for made in engines:
            await made.dispose()


async def test_a_deleted_topic_is_made_again_and_the_question_posted_again(
    tg: TgRig, engine: AsyncEngine, reader: AsyncEngine
) -> None:
    chat, channel = await _forum(tg, engine)
    desk = _desk(engine, reader, chat, channel)
    await _ask(engine, "telegram", 0, "Первый вопрос")
    await desk.notify_questions()
    assert await _send(engine, channel) == ["sent"]
    [old] = tg.emulator.topics(chat)
    tg.emulator.delete_topic(chat, old)
    await _ask(engine, "telegram", 0, "Второй вопрос")
    await desk.notify_questions()
    assert await _send(engine, channel) == ["thread_gone"]  # queued to the topic it knew
    await desk.notify_questions()  # the next round: a new topic, the notice again
    assert await _send(engine, channel) == ["sent"]
    [new] = tg.emulator.topics(chat)
    assert new != old and await _topics(engine) == [("p1", str(new))]
    assert ["Второй вопрос" in text for text in _in_topics(tg, chat)[new]] == [True]
    async with engine.connect() as conn:
        statuses = (await conn.execute(select(Reply.status).order_by(Reply.id))).scalars()
        assert list(statuses) == ["sent", "reposted", "sent"]
    await desk.notify_questions()
    assert await _send(engine, channel) == []  # posted again once


async def test_without_the_right_to_make_topics_notices_go_to_the_chat(
    tg: TgRig, engine: AsyncEngine, reader: AsyncEngine
) -> None:
    chat, channel = await _forum(tg, engine, manage_topics=False)
    desk = _desk(engine, reader, chat, channel)
    await _ask(engine, "telegram", 0, "Вопрос без темы")
    await desk.notify_questions()
    await desk.notify_questions()
    assert await _send(engine, channel) == ["sent"]
    assert list(_in_topics(tg, chat)) == [None] and tg.emulator.topics(chat) == {}
    assert await _topics(engine) == []  # the claim given back


async def test_a_message_in_a_topic_answers_the_members_latest_open_question(
    tg: TgRig, engine: AsyncEngine, reader: AsyncEngine
) -> None:
    chat, channel = await _forum(tg, engine)
    desk = _desk(engine, reader, chat, channel)
    asked = [await _ask(engine, "telegram", 0, "Вопрос 1"), await _ask(engine, "vk", 0, "Вопрос 2")]
    await desk.notify_questions()
    await _send(engine, channel)
    [thread] = tg.emulator.topics(chat)
    inbox = Inbox()
    await channel.start(inbox)
    staff = next(iter(tg.emulator._state.world.groups[chat].member_ids))
    notice = next(m for m in tg.log(chat) if "Вопрос 1" in (m.get("text") or ""))
    tg.emulator.topic_message(chat, staff, thread, "Напишу в теме")
    tg.emulator.topic_message(chat, staff, thread, "Отвечу на вопрос",
                              reply_to_message_id=notice["message_id"])
    await eventually(lambda: len(inbox.of(Text)) == 2)
    written, replied = inbox.of(Text)
    assert (written.thread, written.reply_to) == (str(thread), None)
    assert (replied.thread, replied.reply_to) == (str(thread), str(notice["message_id"]))
    async with engine.begin() as conn:
        latest = await topic_question(conn, "telegram", str(chat), str(thread))
        assert latest is not None and latest.inbound_id == asked[1]
        await mark_answered(conn, asked[1], "telegram:1", datetime.now(UTC))
        latest = await topic_question(conn, "telegram", str(chat), str(thread))
        assert latest is not None and latest.inbound_id == asked[0]  # still open
        await mark_answered(conn, asked[0], "telegram:1", datetime.now(UTC))
        latest = await topic_question(conn, "telegram", str(chat), str(thread))
        assert latest is not None and latest.inbound_id == asked[1]  # none open: the latest
        assert await topic_question(conn, "telegram", str(chat), "999") is None


async def test_export_holds_the_members_topic_and_erase_deletes_it(
    tg: TgRig, engine: AsyncEngine, reader: AsyncEngine
) -> None:
    chat, channel = await _forum(tg, engine)
    desk = _desk(engine, reader, chat, channel)
    await _ask(engine, "vk", 0, "Вопрос о стаже")
    await desk.notify_questions()
    [(member, thread)] = await _topics(engine)
    person = int(member.removeprefix("p"))
    data = await export(engine, person)
    assert [(t["name"], t["thread_id"]) for t in data["tables"]["staff_topics"]] == [
        ("Член 0 · Школа 1-1 · Район 1", thread)]
    async with engine.begin() as conn:
        counts = await erase(conn, person, "cli")
    assert counts["staff_topics"] == 1 and await _topics(engine) == []
