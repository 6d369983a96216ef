"""/resend ID: start a run of an existing campaign now — the answer to a missed run.

The run is started as `rupor post --now` starts one (start_run, one run per campaign and
slot, then the resumable materialise), for the moment the command arrived: a redo after a
crash finds the same run instead of starting a second one. Audited as chat.resend."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bots.chat import texts
from bots.chat.commands import campaign_id_of
from bots.chat.turn import ChatContext, Turn, allowed
from core.access.audit import Result
from core.access.rules import Action
from core.sending.runs import materialise, start_run
from core.storage.models import Campaign, Delivery

REFUSED_STATUSES = frozenset(texts.RESEND_REFUSED)  # cancelled, paused, running, draft


async def resend(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.RESEND):
        return
    campaign_id = campaign_id_of(turn, "resend")
    if campaign_id is None:
        return
    async with AsyncSession(ctx.reader) as session:
        campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        turn.say(texts.NO_CAMPAIGN.format(id=campaign_id))
        return
    if campaign.status in REFUSED_STATUSES:
        turn.audit(Action.RESEND, Result.FAILED, {"campaign_id": campaign_id,
                                                  "status": campaign.status})
        turn.say(texts.RESEND_REFUSED[campaign.status].format(id=campaign_id))
        return
    targets = [c for c in ctx.capabilities if campaign.channels is None or c in campaign.channels]
    at = turn.received_at
    run = await start_run(ctx.engine, campaign_id, at if at.tzinfo else at.replace(tzinfo=UTC),
                          targets)
    if campaign.cron is None:  # shown in /plan while it sends; finish_runs makes it done again
        async with ctx.engine.begin() as conn:
            await conn.execute(update(Campaign).where(
                Campaign.id == campaign_id, Campaign.status.in_(("done", "scheduled")))
                .values(status="running"))
    await materialise(ctx.engine, run.run_id)
    async with ctx.reader.connect() as conn:
        count = (await conn.execute(select(func.count(func.distinct(Delivery.person_id)))
                                    .where(Delivery.run_id == run.run_id))).scalar_one()
    turn.audit(Action.RESEND, Result.OK, {"campaign_id": campaign_id, "run_id": run.run_id})
    turn.say(texts.RESENT.format(id=campaign_id, run=run.run_id, count=count))
