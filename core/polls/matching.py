"""The scheduler's beat for votes kept pending (core.polls.ballot.pending): those whose
poll's landing has been recorded since are recorded as if they came now, in inbound order
(the deadline judged by when they came); those that never will — their poll is closed, or
they waited PENDING_TTL — are dropped, never counted. A cheap read when nothing waits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.polls.ballot import pending
from core.polls.ballot.record import record_votes
from core.polls.ballot.statements import ConnectionStatements
from core.storage.engine import writing
from core.storage.models import Inbound
from core.storage.poll_tables import Poll, PollMessage, PollPendingVote


async def settle(engine: AsyncEngine, now: datetime, reader: AsyncEngine | None = None) -> int:
    """Record the pending votes that match now, drop the hopeless; how many were recorded."""
    async with (reader or engine).connect() as conn:
        if (await conn.execute(select(PollPendingVote.inbound_id).limit(1))).first() is None:
            return 0
    async with writing(engine, urgent=True) as conn:  # members wait for these
        matched = await match_now(conn)
        await drop_hopeless(conn, now)
    return matched


async def match_now(conn: AsyncConnection) -> int:
    """Inside the caller's transaction: record the pending votes that match now."""
    return await conn.run_sync(_match)


def _match(sync: Connection) -> int:
    sql = ConnectionStatements(sync)
    found = pending.matchable(sql)
    if found.items:
        record_votes(sql, found.items)
    return len(found.items)


async def drop_hopeless(conn: AsyncConnection, now: datetime) -> int:
    """Drop pending votes of closed polls (a Telegram one: its platform poll id belongs to a
    closed poll) and those older than PENDING_TTL; how many."""
    closed = select(Poll.id).where(Poll.closed_at.is_not(None))
    of_closed_native = exists().where(
        PollMessage.channel == PollPendingVote.channel,
        PollMessage.platform_poll_id == PollPendingVote.platform_poll_id,
        PollMessage.poll_id.in_(closed))
    stale = select(Inbound.id).where(Inbound.id == PollPendingVote.inbound_id,
                                     Inbound.received_at < now - pending.PENDING_TTL)
    dropped = await conn.execute(delete(PollPendingVote).where(or_(
        PollPendingVote.poll_id.in_(closed), of_closed_native,
        PollPendingVote.inbound_id.in_(stale))))
    return int(dropped.rowcount or 0)
