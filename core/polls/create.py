"""Creating a poll: the poll row and its campaign of kind "poll" in one transaction (the
ordinary queue delivers it: now, or at its time through the scheduler), and the preview
figures the press secretary confirms."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.access.audit import record
from core.audience.segments import SegmentCount, count_segment, parse_segment, resolve_segment
from core.polls.spec import NewPoll, check
from core.sending.runs import materialise, start_run
from core.sending.split import shortened
from core.storage.models import Campaign
from core.storage.poll_tables import Poll


@dataclass(frozen=True)
class CreatedPoll:
    poll_id: int
    campaign_id: int
    run_id: int | None  # started now; None when it goes at its time


async def preview(engine: AsyncEngine, audience: str, channels: Sequence[str]) -> SegmentCount:
    """Members of the audience and the people reachable per channel (SegmentError if bad)."""
    async with AsyncSession(engine) as session:
        resolved = await resolve_segment(session, parse_segment(audience))
        return await count_segment(session, resolved, list(channels))


async def create_poll(
    engine: AsyncEngine, new: NewPoll, channels: Sequence[str], now: datetime
) -> CreatedPoll:
    """Check, store, and with no start time start its run now (PollError, SegmentError)."""
    check(new, now)
    parse_segment(new.audience)
    options = [option.strip() for option in new.options]
    async with engine.begin() as conn:
        poll_id = (await conn.execute(insert(Poll).values(
            question=new.question.strip(), options=options, allows_multiple=new.multiple,
            anonymous=new.anonymous, audience=new.audience, closes_at=new.closes_at,
            remind_at=new.remind_at, created_by=new.created_by,
            announce_members=new.announce_members,
            ballot_salt=secrets.token_hex(32) if new.anonymous else None,
        ).returning(Poll.id))).scalar_one()
        content = {"poll_id": poll_id, "question": new.question.strip(), "options": options,
                   "multiple": new.multiple, "anonymous": new.anonymous}
        campaign_id = (await conn.execute(insert(Campaign).values(
            kind="poll", title=shortened(new.question.strip(), 80), content=content,
            audience=new.audience, run_at=new.start_at, created_by=new.created_by,
            status="scheduled" if new.start_at else "running",
        ).returning(Campaign.id))).scalar_one()
        await conn.execute(update(Poll).where(Poll.id == poll_id).values(campaign_id=campaign_id))
        await record(conn, new.created_by, "poll.create",
                     {"poll_id": poll_id, "campaign_id": campaign_id})
    run_id = None
    if new.start_at is None:
        run = await start_run(engine, campaign_id, now, list(channels))
        await materialise(engine, run.run_id)
        run_id = run.run_id
    return CreatedPoll(int(poll_id), int(campaign_id), run_id)
