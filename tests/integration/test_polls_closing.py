"""Closing a poll (issue 15, items 2 and 4): every Telegram poll is stopped through the
paced reply path, once however often closing is attempted; the results go once to the
creator and the press and admin accounts, and to the members when the poll says so."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.chat.poll_notices import PollNotices
from core.access.grants import grant
from core.access.rules import Role as AccessRole
from core.audience.roles import Role
from core.polls.closing import close_poll, tick
from core.polls.create import create_poll
from core.polls.spec import NewPoll
from core.sending.dispatch import ChannelSender
from core.sending.recording import FAST, RecordingChannel
from core.storage.models import Contact, Media, Reply
from core.storage.poll_tables import PollMessage
from tests.factories import add_members, make_union
from tests.unit.test_queue import FAST_RETRY, drain, eventually

TZ = ZoneInfo("Europe/Moscow")


async def _poll(engine: AsyncEngine, now: datetime, *, announce: bool = False) -> int:
    union = await make_union(engine)
    await add_members(engine, union, 6, {"telegram": 1.0},
                      roles=int(Role.MEMBER | Role.YOUNG_TEACHER))
    new = NewPoll("Какая дата форума удобнее?", ("10 декабря", "17 декабря"),
                  now + timedelta(days=1), created_by="telegram:777",
                  announce_members=announce)
    created = await create_poll(engine, new, ["telegram"], now)
    await drain(engine, RecordingChannel("telegram"))
    return created.poll_id


async def _serve_replies(engine: AsyncEngine, channel: RecordingChannel) -> None:
    sender = ChannelSender(engine, channel, FAST_RETRY)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))

    async def none_pending() -> bool:
        async with engine.connect() as conn:
            return not (await conn.execute(select(Reply.id).where(
                Reply.status.in_(("pending", "claimed"))))).first()

    try:
        await eventually(none_pending)
    finally:
        stop.set()
        await task


async def _replies(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(Reply))).scalar_one())


async def test_every_telegram_poll_is_stopped_once_through_the_sender(engine: AsyncEngine
                                                                      ) -> None:
    now = datetime.now(UTC)
    poll_id = await _poll(engine, now)
    later = now + timedelta(days=2)
    assert (await tick(engine, later, TZ)).closed == (poll_id,)
    assert (await tick(engine, later, TZ)).closed == ()
    assert not await close_poll(engine, poll_id, "cli", later, quiet=True)
    assert await _replies(engine) == 6
    channel = RecordingChannel("telegram", capabilities=replace(FAST, edits_messages=True))
    await _serve_replies(engine, channel)
    assert len(channel.edits) == 6 and all(edit.stops_poll for _, edit in channel.edits)
    assert channel.sent == []  # a stopped poll needs no words
    async with engine.connect() as conn:
        stopped = (await conn.execute(select(PollMessage.stopped_at))).scalars().all()
    assert stopped and all(at is not None for at in stopped)


async def test_a_failed_stop_tells_the_member_in_text(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    await _poll(engine, now)
    await tick(engine, now + timedelta(days=2), TZ)
    channel = RecordingChannel("telegram", capabilities=replace(FAST, edits_messages=True),
                               refuse_edits=True)
    await _serve_replies(engine, channel)
    words = [msg.text[-1].text for _, msg in channel.sent]
    assert len(words) == 6 and all("завершён" in said for said in words)


async def test_results_go_once_to_the_creator_press_and_members(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    poll_id = await _poll(engine, now, announce=True)
    async with engine.begin() as conn:
        await conn.execute(Contact.__table__.insert().values(
            channel="telegram", external_id="777", status="active", kind="private"))
        await grant(conn, "telegram", "777", AccessRole.PRESS, "cli")
        await grant(conn, "vk", "555", AccessRole.ADMIN, "cli")  # no contact: not told
    await close_poll(engine, poll_id, "cli", now + timedelta(hours=1))
    stops = await _replies(engine)
    notices = PollNotices(engine, TZ)
    await notices(now)
    await notices(now)  # told once
    # The creator (also press) and 6 members: the chart, then the text, to each.
    assert await _replies(engine) - stops == 2 * (1 + 6)
    async with engine.connect() as conn:
        told = (await conn.execute(select(Reply.content).order_by(Reply.id.desc()))).scalars()
        contents = told.all()[:14]
    said = [content["spans"][0][0] for content in contents if content["spans"]]
    charts = {content["media"]["media_id"] for content in contents if not content["spans"]}
    assert len(said) == 7 and all(f"Опрос №{poll_id}" in text for text in said)
    assert sum("Итоги опроса" in text for text in said) == 6  # the members'
    assert sum("/results" in text for text in said) == 1  # only staff have /results
    assert len(charts) == 1  # one stored PNG, named by every reply
    async with engine.connect() as conn:
        png = (await conn.execute(select(Media.content, Media.mime).where(
            Media.id == charts.pop()))).one()
    assert png.mime == "image/png" and png.content.startswith(b"\x89PNG")
