"""Polls in core with a real SQLite file and the recording fake channels (issue 15): a poll
delivered as a campaign of kind "poll" lands in poll_messages; votes through the inbox's
batch path — one per person, latest choice, toggles, withdrawals, the deadline, the
audience; reminders to exactly those who have not voted; anonymous results hold no link
to a person."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.audience.roles import Role
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.polls.closing import close_poll, tick
from core.polls.create import create_poll
from core.polls.results import poll_results
from core.polls.spec import NewPoll, vote_payload
from core.ports import ButtonPress, InboundEvent, PollAnswer, Sender
from core.sending.recording import FAST, RecordingChannel
from core.storage.models import Reply
from tests.factories import add_members, make_union
from tests.unit.test_queue import drain

OPTIONS = ("10 декабря", "17 декабря", "24 декабря")
_ids = itertools.count(1)


async def _union(engine: AsyncEngine) -> dict[str, Any]:
    union = await make_union(engine)
    young = await add_members(engine, union, 30, {"telegram": 1.0, "vk": 0.5},
                              roles=int(Role.MEMBER | Role.YOUNG_TEACHER))
    await add_members(engine, union, 5, {"telegram": 1.0}, start=100)
    return {"union": union, "young": young}


async def _poll(engine: AsyncEngine, **kwargs: Any) -> tuple[int, list[RecordingChannel]]:
    now = datetime.now(UTC)
    new = NewPoll("Какая дата форума удобнее?", OPTIONS, now + timedelta(days=2), **kwargs)
    created = await create_poll(engine, new, ["telegram", "vk"], now)
    channels = [RecordingChannel("telegram"),
                RecordingChannel("vk", replace(FAST, edits_messages=True))]
    await drain(engine, *channels)
    return created.poll_id, channels


async def _landings(engine: AsyncEngine, poll_id: int) -> dict[tuple[str, str], str | None]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT c.channel, c.external_id, pm.platform_poll_id FROM poll_messages pm "
            "JOIN contacts c ON c.id = pm.contact_id WHERE pm.poll_id = :p"), {"p": poll_id})
        return {(ch, ext): pp for ch, ext, pp in rows.all()}


def _answer(ext: str, platform_poll: str, *options: int) -> PollAnswer:
    return PollAnswer(f"t{next(_ids)}", Sender("telegram", ext), platform_poll, options)


def _press(ext: str, poll_id: int, option: int) -> ButtonPress:
    return ButtonPress(f"v{next(_ids)}", Sender("vk", ext), vote_payload(poll_id, option),
                       message_id="c7")


async def _vote(inbox: Inbox, *events: InboundEvent) -> None:
    await asyncio.gather(*(inbox.receive(event) for event in events))


async def test_a_poll_reaches_the_young_teachers_and_votes_count_once(engine: AsyncEngine
                                                                      ) -> None:
    await _union(engine)
    poll_id, (telegram, vk) = await _poll(engine)
    landed = await _landings(engine, poll_id)
    assert len(telegram.polls) == 30 and len(vk.polls) == len([k for k in landed if k[0] == "vk"])
    assert all(pp for (ch, _), pp in landed.items() if ch == "telegram")
    inbox = Inbox(engine, Dialogs(DIALOG))
    tg = sorted(ext for ch, ext in landed if ch == "telegram")
    both = sorted(ext for ch, ext in landed if ch == "vk")
    await _vote(inbox, *(_answer(ext, landed[("telegram", ext)] or "", 0) for ext in tg))
    await _vote(inbox, _answer(tg[0], landed[("telegram", tg[0])] or "", 1),  # a change
                _answer(tg[1], landed[("telegram", tg[1])] or ""))  # a withdrawal
    # Members with VK too vote there last: their latest choice counts, once.
    await _vote(inbox, *(_press(ext, poll_id, 2) for ext in both))
    results = await poll_results(engine, poll_id)
    moved = len(set(both) - {tg[1]})
    assert results.reached == 30 and results.voters == 29 + (tg[1] in both)
    assert sum(results.counts) == results.voters
    assert results.counts[2] == len(both)
    assert results.counts[1] == (0 if tg[0] in both else 1)
    assert sum(line.voters for line in results.districts) == results.voters
    assert moved <= results.counts[2]


async def test_buttons_toggle_and_vk_messages_are_edited_only(engine: AsyncEngine) -> None:
    await _union(engine)
    poll_id, _ = await _poll(engine)
    ext = sorted(ext for ch, ext in await _landings(engine, poll_id) if ch == "vk")[0]
    inbox = Inbox(engine, Dialogs(DIALOG))
    await _vote(inbox, _press(ext, poll_id, 0))
    await _vote(inbox, _press(ext, poll_id, 0))  # the chosen one again: withdrawn
    assert (await poll_results(engine, poll_id)).voters == 0
    await _vote(inbox, _press(ext, poll_id, 1))
    async with engine.connect() as conn:
        replies = (await conn.execute(select(Reply.content).order_by(Reply.id))).scalars().all()
    last = replies[-1]
    assert last["edit"]["only"] and last["edit"]["message_id"] == "c7"
    assert "«17 декабря»" in last["edit"]["spans"][0][0]
    assert [b["text"] for row in last["edit"]["buttons"] for b in row][1].startswith("✅")


async def test_outside_the_audience_and_after_the_deadline(engine: AsyncEngine) -> None:
    await _union(engine)
    poll_id, _ = await _poll(engine)
    landed = await _landings(engine, poll_id)
    inbox = Inbox(engine, Dialogs(DIALOG))
    stranger = "100100"  # a member who is no young teacher: the poll never reached them
    some_poll = next(pp for (ch, _), pp in landed.items() if ch == "telegram")
    await _vote(inbox, _answer(stranger, some_poll or "", 0),
                ButtonPress("x1", Sender("vk", stranger), vote_payload(poll_id, 0)))
    assert (await poll_results(engine, poll_id)).voters == 0
    await close_poll(engine, poll_id, "cli", datetime.now(UTC))
    ext = next(ext for ch, ext in landed if ch == "telegram")
    await _vote(inbox, _answer(ext, landed[("telegram", ext)] or "", 0))
    assert (await poll_results(engine, poll_id)).voters == 0
    async with engine.connect() as conn:
        said = (await conn.execute(select(Reply.content).order_by(Reply.id.desc()))).first()
    assert said is not None and "завершён" in said[0]["spans"][0][0]


async def test_reminders_go_to_exactly_those_who_have_not_voted(engine: AsyncEngine) -> None:
    await _union(engine)
    now = datetime.now(UTC)
    poll_id, _ = await _poll(engine, remind_at=now + timedelta(seconds=1))
    landed = await _landings(engine, poll_id)
    voted = [ext for ch, ext in landed if ch == "telegram"][:10]
    inbox = Inbox(engine, Dialogs(DIALOG))
    await _vote(inbox, *(_answer(ext, landed[("telegram", ext)] or "", 0) for ext in voted))
    async with engine.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(Reply))).scalar_one()
    done = await tick(engine, now + timedelta(seconds=2), ZoneInfo("Europe/Moscow"))
    again = await tick(engine, now + timedelta(seconds=3), ZoneInfo("Europe/Moscow"))
    expected = sum(1 for ch, ext in landed if ext not in voted)
    assert done.reminded == ((poll_id, expected),) and again.reminded == ()
    async with engine.connect() as conn:
        after = (await conn.execute(select(func.count()).select_from(Reply))).scalar_one()
    assert after - before == expected


async def test_anonymous_results_hold_no_link_to_a_person(engine: AsyncEngine) -> None:
    await _union(engine)
    poll_id, _ = await _poll(engine, anonymous=True)
    landed = await _landings(engine, poll_id)
    inbox = Inbox(engine, Dialogs(DIALOG))
    tg = sorted(ext for ch, ext in landed if ch == "telegram")
    await _vote(inbox, *(_answer(ext, landed[("telegram", ext)] or "", i % 3)
                         for i, ext in enumerate(tg)))
    await _vote(inbox, _answer(tg[0], landed[("telegram", tg[0])] or "", 2))  # a change
    live = await poll_results(engine, poll_id)
    assert live.voters == 30 and live.counts == (9, 10, 11)
    async with engine.connect() as conn:
        columns = {row[1] for row in await conn.execute(text("PRAGMA table_info(poll_ballots)"))}
        assert columns == {"poll_id", "ballot_key", "option_ids", "district_id"}
        assert (await conn.execute(text("SELECT COUNT(*) FROM votes"))).scalar() == 0
    assert await close_poll(engine, poll_id, "cli", datetime.now(UTC))
    final = await poll_results(engine, poll_id)
    assert (final.voters, final.counts) == (live.voters, live.counts)
    assert [(d.voters, d.counts) for d in final.districts] == [
        (d.voters, d.counts) for d in live.districts]
    async with engine.connect() as conn:
        for table in ("poll_ballots", "poll_voters", "votes"):
            assert (await conn.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar() == 0
        salt = (await conn.execute(text("SELECT ballot_salt FROM polls"))).scalar()
        tallies = {row[1] for row in await conn.execute(text("PRAGMA table_info(poll_tallies)"))}
    assert salt is None and tallies == {"poll_id", "district_id", "option", "count"}
