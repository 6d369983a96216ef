"""Votes that come before the sender has recorded where their poll landed (issue 15, the
race in docs/design.md "Polls"): a member answers while the sender still holds the
platform's answer. The channel here lets each member vote inside send_poll — committed
through the real inbox before record_landings runs — on Telegram (a native poll, matched by
the platform poll id) and VK (buttons naming our poll id). Such votes wait in
poll_pending_votes and count once the record lands (the scheduler's beat, or the same
contact's next vote, in inbound order); an outsider's vote never counts and is dropped at
closing or after PENDING_TTL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.audience.roles import Role
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.polls.ballot.pending import PENDING_TTL
from core.polls.closing import close_poll, tick
from core.polls.create import create_poll
from core.polls.results import PollResults, poll_results
from core.polls.spec import NewPoll
from core.ports import InboundEvent, OutboundPoll, PollSent
from core.privacy.erase import erase
from core.sending.recording import FAST, RecordingChannel
from core.storage.engine import writing
from core.storage.poll_tables import Poll, PollPendingVote
from tests.factories import add_members, make_union
from tests.unit.test_polls import OPTIONS, _answer, _press, _vote
from tests.unit.test_queue import drain

TZ = ZoneInfo("Europe/Moscow")
Voting = Callable[[PollSent, OutboundPoll], InboundEvent | None]


@dataclass
class EagerMembers(RecordingChannel):
    """Each member votes the moment the platform accepts their poll: the vote is committed
    by the inbox before send_poll returns, so before the sender records the landing."""

    inbox: Inbox | None = None
    voting: Voting | None = None

    async def send_poll(self, to: Sequence[str], poll: OutboundPoll) -> list[PollSent]:
        landed = await super().send_poll(to, poll)
        assert self.inbox is not None and self.voting is not None
        votes = [vote for sent in landed if (vote := self.voting(sent, poll)) is not None]
        await _vote(self.inbox, *votes)
        return landed


def _option(recipient: str) -> int:
    return int(recipient) % len(OPTIONS)


def _native(on_vk: set[str]) -> Voting:
    """Telegram answers of the members who have no VK (a press of the option chosen
    already would withdraw it: each person votes once here, on one messenger)."""
    def vote(sent: PollSent, poll: OutboundPoll) -> InboundEvent | None:
        if sent.recipient in on_vk:
            return None
        return _answer(sent.recipient, sent.platform_poll_id or "", _option(sent.recipient))
    return vote


def _buttons(sent: PollSent, poll: OutboundPoll) -> InboundEvent:
    return _press(sent.recipient, poll.poll_id, _option(sent.recipient))


async def _eager_poll(engine: AsyncEngine, inbox: Inbox, **kwargs: Any
                      ) -> tuple[int, list[RecordingChannel]]:
    now = datetime.now(UTC)
    new = NewPoll("Какая дата форума удобнее?", OPTIONS, now + timedelta(days=2), **kwargs)
    created = await create_poll(engine, new, ["telegram", "vk"], now)
    async with engine.connect() as conn:
        on_vk = set((await conn.execute(text(
            "SELECT external_id FROM contacts WHERE channel = 'vk'"))).scalars().all())
    channels: list[RecordingChannel] = [
        EagerMembers("telegram", inbox=inbox, voting=_native(on_vk)),
        EagerMembers("vk", replace(FAST, edits_messages=True), inbox=inbox, voting=_buttons)]
    await drain(engine, *channels)
    return created.poll_id, channels


async def _pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(PollPendingVote)))
                   .scalar_one())


def _expected(channels: list[RecordingChannel]) -> tuple[int, ...]:
    """One vote per person the poll reached."""
    latest: dict[str, int] = {}
    for channel in channels:
        for recipient, _ in channel.polls:
            latest[recipient] = _option(recipient)  # same external id: the same person
    counts = [0] * len(OPTIONS)
    for option in latest.values():
        counts[option] += 1
    return tuple(counts)


async def _young(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 30, {"telegram": 1.0, "vk": 0.5},
                      roles=int(Role.MEMBER | Role.YOUNG_TEACHER))
    await add_members(engine, union, 4, {"telegram": 1.0, "vk": 1.0}, start=200)  # not young


@pytest.mark.parametrize("portable", [False, True], ids=["sqlite3", "core"])
async def test_votes_before_the_record_count_once_it_lands(engine: AsyncEngine,
                                                          portable: bool) -> None:
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG), portable_sql=portable)
    poll_id, channels = await _eager_poll(engine, inbox)
    voted = 30
    # Every vote came before its landing was recorded: none counted, none lost.
    assert (await poll_results(engine, poll_id)).voters == 0
    assert await _pending(engine) == voted
    await tick(engine, datetime.now(UTC), TZ)  # the scheduler's beat
    results = await poll_results(engine, poll_id)
    assert results.voters == 30 and results.counts == _expected(channels)
    assert await _pending(engine) == 0
    assert await _vk_told(engine) == len(channels[1].polls)  # the pressed message shows it


async def _vk_told(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(
            "SELECT count(*) FROM replies WHERE channel = 'vk' AND inbound_id IS NOT NULL")))
            .scalar_one())


async def test_an_anonymous_poll_counts_pending_votes_too(engine: AsyncEngine) -> None:
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    poll_id, channels = await _eager_poll(engine, inbox, anonymous=True)
    await tick(engine, datetime.now(UTC), TZ)
    results = await poll_results(engine, poll_id)
    assert results.voters == 30 and results.counts == _expected(channels)
    await close_poll(engine, poll_id, "test", datetime.now(UTC))
    assert (await poll_results(engine, poll_id)).counts == _expected(channels)


async def test_the_same_members_next_vote_keeps_the_order(engine: AsyncEngine) -> None:
    """A later vote that comes once the record has landed, before the beat: the pending one
    is taken first, so the later choice wins and the earlier is not applied afterwards."""
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    poll_id, (telegram, vk) = await _eager_poll(engine, inbox)
    landed = {recipient: _platform_poll(telegram, recipient) for recipient, _ in telegram.polls}
    only_telegram = sorted(set(landed) - {recipient for recipient, _ in vk.polls})[:3]
    changed = [(ext, (_option(ext) + 1) % len(OPTIONS)) for ext in only_telegram]
    await _vote(inbox, *(_answer(ext, landed[ext], option) for ext, option in changed))
    await _vote(inbox, _answer(only_telegram[0], landed[only_telegram[0]]))  # then withdrawn
    await tick(engine, datetime.now(UTC), TZ)
    results = await poll_results(engine, poll_id)
    expected = list(_expected([telegram, vk]))
    for ext, option in changed:
        expected[_option(ext)] -= 1
        expected[option] += ext != only_telegram[0]
    assert results.voters == 29 and results.counts == tuple(expected)


def _platform_poll(channel: RecordingChannel, recipient: str) -> str:
    number = [i for i, (who, _) in enumerate(channel.polls) if who == recipient][0]
    return f"poll-{number + 1}"


async def test_an_outsiders_vote_stays_uncounted_and_is_dropped(engine: AsyncEngine) -> None:
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    poll_id, (telegram, _) = await _eager_poll(engine, inbox)
    await tick(engine, datetime.now(UTC), TZ)
    before = await poll_results(engine, poll_id)
    forwarded = _platform_poll(telegram, telegram.polls[0][0])
    # Not young, never sent the poll: a forwarded Telegram poll, a VK press naming the poll.
    await _vote(inbox, _answer("100200", forwarded, 0), _press("100201", poll_id, 0))
    await tick(engine, datetime.now(UTC), TZ)
    assert await poll_results(engine, poll_id) == before
    assert await _pending(engine) == 2  # kept: their landing might still come
    await close_poll(engine, poll_id, "test", datetime.now(UTC))
    assert await _pending(engine) == 0
    assert (await poll_results(engine, poll_id)).counts == before.counts


async def test_unmatched_votes_are_dropped_after_a_bounded_time(engine: AsyncEngine) -> None:
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    await _eager_poll(engine, inbox)
    await tick(engine, datetime.now(UTC), TZ)
    await _vote(inbox, _answer("100202", "poll-unknown", 1))  # a poll no landing will name
    await tick(engine, datetime.now(UTC), TZ)
    assert await _pending(engine) == 1
    await tick(engine, datetime.now(UTC) + PENDING_TTL + timedelta(seconds=1), TZ)
    assert await _pending(engine) == 0


async def test_a_pending_vote_cast_in_time_counts_at_closing(engine: AsyncEngine) -> None:
    """The deadline passes while the votes wait: they came in time, so closing counts them."""
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    poll_id, channels = await _eager_poll(engine, inbox)
    async with engine.begin() as conn:
        await conn.execute(update(Poll).where(Poll.id == poll_id).values(
            closes_at=datetime.now(UTC)))
    done = await tick(engine, datetime.now(UTC), TZ)
    assert done.closed == (poll_id,)
    results: PollResults = await poll_results(engine, poll_id)
    assert results.voters == 30 and results.counts == _expected(channels)


async def test_erasing_a_member_drops_their_pending_vote(engine: AsyncEngine) -> None:
    await _young(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    poll_id, _ = await _eager_poll(engine, inbox)
    await tick(engine, datetime.now(UTC), TZ)
    await _vote(inbox, _press("100203", poll_id, 1))  # an outsider's press: kept pending
    assert await _pending(engine) == 1
    async with engine.connect() as conn:
        person = (await conn.execute(text(
            "SELECT person_id FROM contacts WHERE channel = 'vk' AND external_id = '100203'"))
        ).scalar_one()
    async with writing(engine) as conn:
        await erase(conn, int(person), "test")
    assert await _pending(engine) == 0
