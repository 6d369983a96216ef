"""Closing polls at their deadline and reminding those who have not voted; `tick` is what
the scheduler calls every second or so (idempotent: every change claims its rows with a
conditional UPDATE, so two processes never close or remind twice).

Closing an anonymous poll freezes its counts into poll_tallies (per district and option;
option -1 the district's voters) and deletes its ballots, its voters list and its salt:
after that no table holds a choice next to anything that leads to a person. Native
Telegram polls are stopped on the platform through the paced reply path (core.polls.announce).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import record
from core.polls import texts
from core.polls.announce import queue_stops
from core.polls.matching import drop_hopeless, match_now, settle
from core.polls.spec import PollError, vote_buttons
from core.ports import Span
from core.sending.replies import reply_content
from core.storage.engine import writing
from core.storage.models import Reply
from core.storage.poll_tables import Poll, PollBallot, PollTally, PollVoter


@dataclass(frozen=True)
class Ticked:
    closed: tuple[int, ...] = ()
    reminded: tuple[tuple[int, int], ...] = ()  # (poll id, reminders queued)


async def tick(engine: AsyncEngine, now: datetime, tz: ZoneInfo,
               reader: AsyncEngine | None = None) -> Ticked:
    """Record the pending votes that match now, close the polls past their deadline, then
    send the reminders that came due."""
    await settle(engine, now, reader)
    async with (reader or engine).connect() as conn:
        if (await conn.execute(select(Poll.id).where(
                Poll.closed_at.is_(None),
                (Poll.closes_at <= now) | ((Poll.remind_at <= now) & Poll.reminded_at.is_(None)),
        ).limit(1))).first() is None:
            return Ticked()
    async with engine.connect() as conn:
        due = (await conn.execute(select(Poll.id).where(
            Poll.closed_at.is_(None), Poll.closes_at <= now))).scalars().all()
        to_remind = (await conn.execute(select(Poll.id).where(
            Poll.closed_at.is_(None), Poll.closes_at > now, Poll.remind_at <= now,
            Poll.reminded_at.is_(None)))).scalars().all()
    closed = [poll_id for poll_id in due if await close_poll(engine, poll_id, "scheduler", now,
                                                              quiet=True)]
    reminded = [(poll_id, await remind(engine, poll_id, now, tz)) for poll_id in to_remind]
    return Ticked(tuple(closed), tuple(r for r in reminded if r[1] >= 0))


async def close_poll(engine: AsyncEngine, poll_id: int, actor: str, now: datetime,
                     *, quiet: bool = False) -> bool:
    """Close it now; False (quiet) or PollError when there is none or it is closed already."""
    async with writing(engine) as conn:
        poll = (await conn.execute(select(Poll).where(Poll.id == poll_id))).one_or_none()
        if poll is None and not quiet:
            raise PollError(texts.NOT_FOUND.format(poll_id=poll_id))
        if poll is not None and poll.closed_at is None:
            await match_now(conn)  # pending votes that match count (if in time)
        claimed = await conn.execute(update(Poll).where(
            Poll.id == poll_id, Poll.closed_at.is_(None)).values(closed_at=now))
        if claimed.rowcount == 0:
            if quiet:
                return False
            raise PollError(texts.ALREADY_CLOSED.format(poll_id=poll_id))
        if poll is not None and poll.anonymous:
            await _freeze(conn, poll_id)
        if poll is not None:
            await queue_stops(conn, poll_id, poll.question, now)
            await drop_hopeless(conn, now)  # the poll's unmatched: its senders never got it
        await record(conn, actor, "poll.close", {"poll_id": poll_id})
    return True


async def _freeze(conn: AsyncConnection, poll_id: int) -> None:
    """The anonymous poll's counts kept, its ballots, voters and salt deleted."""
    from core.polls.ballot.model import as_options

    counts: Counter[tuple[int, int]] = Counter()
    rows = await conn.execute(select(PollBallot.district_id, PollBallot.option_ids)
                              .where(PollBallot.poll_id == poll_id))
    for row in rows.all():
        district = int(row[0] or 0)
        counts[(district, -1)] += 1
        for option in as_options(row[1]):
            counts[(district, option)] += 1
    if counts:
        await conn.execute(insert(PollTally), [
            {"poll_id": poll_id, "district_id": d, "option": o, "count": c}
            for (d, o), c in sorted(counts.items())])
    await conn.execute(delete(PollBallot).where(PollBallot.poll_id == poll_id))
    await conn.execute(delete(PollVoter).where(PollVoter.poll_id == poll_id))
    await conn.execute(update(Poll).where(Poll.id == poll_id).values(ballot_salt=None))


# Contacts the poll reached whose person (or unlinked contact) has not voted, still active.
_NOT_VOTED = (
    "SELECT pm.contact_id, c.channel, pm.platform_poll_id IS NOT NULL FROM poll_messages pm "
    "JOIN contacts c ON c.id = pm.contact_id WHERE pm.poll_id = :poll AND c.status = 'active' "
    "AND COALESCE('p:' || c.person_id, 'c:' || c.id) NOT IN ("
    "SELECT voter FROM votes WHERE poll_id = :poll "
    "UNION SELECT voter FROM poll_voters WHERE poll_id = :poll)"
)


async def remind(engine: AsyncEngine, poll_id: int, now: datetime, tz: ZoneInfo) -> int:
    """Queue a reminder to exactly those who got the poll and have not voted (a native
    poll's chat gets text; a buttons poll the buttons again); -1 if another process did."""
    async with writing(engine) as conn:
        claimed = await conn.execute(update(Poll).where(
            Poll.id == poll_id, Poll.reminded_at.is_(None), Poll.closed_at.is_(None)
        ).values(reminded_at=now))
        if claimed.rowcount == 0:
            return -1
        poll = (await conn.execute(select(Poll).where(Poll.id == poll_id))).one()
        deadline = poll.closes_at.astimezone(tz).strftime("%d.%m в %H:%M") if poll.closes_at else ""
        native = reply_content((Span(texts.REMINDER.format(question=poll.question,
                                                           deadline=deadline)),))
        buttons = reply_content(
            (Span(texts.REMINDER_BUTTONS.format(question=poll.question, deadline=deadline)),),
            vote_buttons(poll.id, poll.options))
        targets = (await conn.execute(text(_NOT_VOTED), {"poll": poll_id})).all()
        if targets:
            await conn.execute(insert(Reply), [
                {"channel": channel, "contact_id": contact_id, "status": "pending",
                 "next_attempt_at": 0.0, "content": native if is_native else buttons}
                for contact_id, channel, is_native in targets])
        await record(conn, "scheduler", "poll.remind", {"poll_id": poll_id,
                                                        "reminded": len(targets)})
    return len(targets)
