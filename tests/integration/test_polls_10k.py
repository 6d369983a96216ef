"""10,000 votes with exact tallies (issue 15, item 7): 10,000 young teachers on three
messengers (some on two) get a poll through the recording fake channels; every voter's
votes go through the real Inbox and core.polls on a SQLite file, some changing their minds,
some withdrawing, some voting again on their second messenger; the results equal what the
votes mean, person by person. No timing is asserted (bench/votes.py measures that)."""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.audience.roles import Role
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.polls.create import create_poll
from core.polls.results import poll_results
from core.polls.spec import NewPoll, vote_payload
from core.ports import ButtonPress, InboundEvent, PollAnswer, Sender
from core.sending.recording import FAST, RecordingChannel
from tests.factories import add_members, make_union
from tests.unit.test_queue import drain

PEOPLE = 10_000
OPTIONS = ("10 декабря", "17 декабря", "24 декабря")
_ids = itertools.count(1)


async def _landings(engine: AsyncEngine, poll_id: int) -> list[tuple[str, str, str | None, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT c.channel, c.external_id, pm.platform_poll_id, c.person_id "
            "FROM poll_messages pm JOIN contacts c ON c.id = pm.contact_id "
            "WHERE pm.poll_id = :p ORDER BY c.id"), {"p": poll_id})
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def _vote(channel: str, ext: str, platform_poll: str | None, poll_id: int, option: int | None
          ) -> InboundEvent:
    """A Telegram answer (None: withdrawn), or a VK/Viber button press of `option`."""
    sender = Sender(channel, ext)
    if channel == "telegram":
        chosen = () if option is None else (option,)
        return PollAnswer(f"t{next(_ids)}", sender, platform_poll or "", chosen)
    assert option is not None
    return ButtonPress(f"{channel}{next(_ids)}", sender, vote_payload(poll_id, option),
                       message_id="c1")


async def test_ten_thousand_voters_are_counted_exactly(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, PEOPLE, {"telegram": 0.6, "vk": 0.3, "viber": 0.2},
                      roles=int(Role.MEMBER | Role.YOUNG_TEACHER))
    now = datetime.now(UTC)
    created = await create_poll(engine, NewPoll("Какая дата форума удобнее?", OPTIONS,
                                                now + timedelta(days=2)),
                                ["telegram", "vk", "viber"], now)
    await drain(engine, RecordingChannel("telegram"),
                RecordingChannel("vk", replace(FAST, edits_messages=True)),
                RecordingChannel("viber"))
    landed = await _landings(engine, created.poll_id)
    rng = random.Random(15)
    final: dict[int, int | None] = {}  # person → their latest choice (None: withdrawn)
    # Each round holds at most one vote per person, so its order inside a round is moot.
    rounds: list[list[InboundEvent]] = [[], []]
    for channel, ext, platform_poll, person in landed:
        option = rng.randrange(len(OPTIONS))
        if person in final:  # the same person again, on their second messenger
            rounds[1].append(_vote(channel, ext, platform_poll, created.poll_id, option))
            # A button toggles: pressing the option already chosen withdraws the vote.
            toggled = channel != "telegram" and final[person] == option
            final[person] = None if toggled else option
            continue
        rounds[0].append(_vote(channel, ext, platform_poll, created.poll_id, option))
        final[person] = option
        if rng.random() < 0.1:  # a change of mind
            option = (option + 1) % len(OPTIONS)
            rounds[1].append(_vote(channel, ext, platform_poll, created.poll_id, option))
            final[person] = option
        elif channel == "telegram" and rng.random() < 0.05:  # a withdrawal
            rounds[1].append(_vote(channel, ext, platform_poll, created.poll_id, None))
            final[person] = None
    inbox = Inbox(engine, Dialogs(DIALOG))
    for events in rounds:
        await asyncio.gather(*(inbox.receive(event) for event in events))
    results = await poll_results(engine, created.poll_id)
    expected = [sum(1 for choice in final.values() if choice == i) for i in range(3)]
    assert results.reached == len(final) and len(final) >= PEOPLE * 0.6
    assert results.voters == sum(1 for choice in final.values() if choice is not None)
    assert list(results.counts) == expected
    assert sum(len(events) for events in rounds) >= PEOPLE
