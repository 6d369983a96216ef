"""What closing a poll tells the platforms and people, queued on the paced reply path.

- `queue_stops`: every Telegram poll message of the poll gets a stop (stopPoll, through the
  channel's sender and pacer as an edit-only reply), inside the closing transaction; a
  landing's `stopped_at` is set as its stop is queued, so closing again — or a second
  process — never stops twice. Should the stop fail (the member blocked the bot), the member
  is told in text that the poll is closed instead.
- `announce`: the results — the PNG chart (stored once in `media` by the caller, so each
  reply names it: core.sending.reply_files) and the text (rendered by the caller,
  bots.poll_view) — to the account that created the poll, every press and admin account,
  the staff chat through the `staff_post` hook, and — if the poll was created with
  "сообщить итоги участникам" — every member it reached; claimed once by
  `polls.announced_at`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import record
from core.access.grants import list_grants
from core.polls import texts
from core.ports import MediaFile, Span
from core.sending.replies import ReplyEdit, queue_reply
from core.storage.engine import writing
from core.storage.models import Contact
from core.storage.poll_tables import Poll


class StaffPost(Protocol):
    """Posts one text (or, with `media` and no text, one stored file) to the bound staff
    chat(s) inside the caller's transaction (core.staff's StaffDesk.post)."""

    def __call__(self, conn: AsyncConnection, text: str, *,
                 media: MediaFile | None = None) -> Awaitable[object]: ...


TOLD_ROLES = frozenset({"press", "admin"})

_TO_STOP = (
    "SELECT pm.id, pm.contact_id, pm.platform_message_id FROM poll_messages pm "
    "JOIN contacts c ON c.id = pm.contact_id WHERE pm.poll_id = :poll "
    "AND pm.channel = 'telegram' AND pm.platform_poll_id IS NOT NULL "
    "AND pm.platform_message_id IS NOT NULL AND pm.stopped_at IS NULL AND c.status = 'active'"
)
_REACHED = (
    "SELECT DISTINCT pm.contact_id, c.channel FROM poll_messages pm "
    "JOIN contacts c ON c.id = pm.contact_id WHERE pm.poll_id = :poll AND c.status = 'active'"
)


async def queue_stops(conn: AsyncConnection, poll_id: int, question: str, now: datetime) -> int:
    """A stop for every Telegram poll message not stopped yet; how many were queued."""
    rows = (await conn.execute(text(_TO_STOP), {"poll": poll_id})).all()
    closed = (Span(texts.CLOSED.format(question=question)),)
    for row in rows:
        stop = ReplyEdit(str(row.platform_message_id), (), (), only=True, stops_poll=True)
        await queue_reply(conn, "telegram", int(row.contact_id), closed, edit=stop)
    if rows:
        await conn.execute(text(
            f"UPDATE poll_messages SET stopped_at = :now WHERE id IN "
            f"({','.join(str(int(r.id)) for r in rows)})"), {"now": now})
    return len(rows)


async def unannounced(engine: AsyncEngine) -> list[int]:
    """Closed polls whose results have not been queued to anyone yet."""
    async with engine.connect() as conn:
        found = await conn.execute(select(Poll.id).where(
            Poll.closed_at.is_not(None), Poll.announced_at.is_(None)).order_by(Poll.id))
        return [int(poll_id) for poll_id in found.scalars().all()]


async def announce(engine: AsyncEngine, poll_id: int, results: str, now: datetime,
                   staff_post: StaffPost | None = None, chart: MediaFile | None = None,
                   for_members: str | None = None) -> int | None:
    """Queue the results to everyone told — `chart` (a stored PNG) first, then the text
    (`for_members`: the members' text, if not the same); how many people and chats were
    told, None if done already."""
    grants = await list_grants(engine)
    async with writing(engine) as conn:
        claimed = await conn.execute(update(Poll).where(
            Poll.id == poll_id, Poll.closed_at.is_not(None), Poll.announced_at.is_(None)
        ).values(announced_at=now))
        if claimed.rowcount == 0:
            return None
        poll = (await conn.execute(select(Poll).where(Poll.id == poll_id))).one()
        accounts = {(g.channel, g.external_id) for g in grants if g.role in TOLD_ROLES}
        if poll.created_by and ":" in poll.created_by:
            channel, _, account = poll.created_by.partition(":")
            accounts.add((channel, account))
        told = 0
        for channel, account in sorted(accounts):
            contact_id = await _contact(conn, channel, account)
            if contact_id is not None:
                await _tell(conn, channel, contact_id, (Span(results),), chart)
                told += 1
        if staff_post is not None:  # the staff before the members (many, paced)
            if chart is not None:
                await staff_post(conn, "", media=chart)
            await staff_post(conn, results)
        if poll.announce_members:
            told += await _to_members(conn, poll_id, for_members or results, chart)
        await record(conn, "scheduler", "poll.announce", {"poll_id": poll_id, "told": told})
    return told


async def _to_members(conn: AsyncConnection, poll_id: int, results: str,
                      chart: MediaFile | None) -> int:
    said = (Span(texts.RESULTS_FOR_MEMBERS + "\n\n" + results),)
    rows = (await conn.execute(text(_REACHED), {"poll": poll_id})).all()
    for row in rows:
        await _tell(conn, str(row.channel), int(row.contact_id), said, chart)
    return len(rows)


async def _tell(conn: AsyncConnection, channel: str, contact_id: int, said: tuple[Span, ...],
                chart: MediaFile | None) -> None:
    """The chart alone (a file takes no caption on Viber), then the text."""
    if chart is not None:
        await queue_reply(conn, channel, contact_id, (), media=chart)
    await queue_reply(conn, channel, contact_id, said)


async def _contact(conn: AsyncConnection, channel: str, account: str) -> int | None:
    found = (await conn.execute(select(Contact.id).where(
        Contact.channel == channel, Contact.external_id == account))).scalar()
    return None if found is None else int(found)
