"""The digest's buttons in the staff chat: «Одобрить и разослать» / «Не рассылать», pressed
by press or an admin (not necessarily whoever built it). An approved digest becomes a
campaign to all members (core.campaigns.store.create_campaign, kind digest) started at
once; once per month, audited."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import func, select, update

from bots.chat.turn import ChatContext, Turn, allowed
from bots.digest import texts
from bots.digest.approval import PREFIX
from bots.digest.build import default_name
from core.access.audit import Result
from core.access.rules import Action
from core.campaigns.store import NewCampaign, create_campaign
from core.digest.content import DIGEST_KIND
from core.digest.month import Month
from core.digest.reports import mark_of, mark_once, media_content
from core.sending.runs import materialise, start_run
from core.storage.engine import writing
from core.storage.models import Campaign, Delivery


async def pressed(ctx: ChatContext, turn: Turn, payload: str) -> None:
    """«Одобрить и разослать» (ok) or «Не рассылать» (no) under a digest."""
    verb, _, key = payload.removeprefix(PREFIX).partition(":")
    if not await allowed(ctx, turn, Action.POST):
        return
    month, who = Month.parse(key), f"{turn.channel}:{turn.sender_id}"
    if verb == "no":
        turn.audit(Action.POST, Result.OK, {"digest": month.key, "approved": False})
        turn.say(texts.REJECTED.format(month=month.words, who=who))
        return
    media_id = await mark_of(ctx.reader, f"digest:pdf:{month.key}")
    if media_id is None:
        turn.say(texts.NO_DIGEST.format(month=month.words))
        return
    sent = await mark_of(ctx.reader, f"digest:sent:{month.key}")
    if sent is not None:
        turn.say(texts.ALREADY.format(month=month.words, id=sent))
        return
    campaign_id, count = await send_digest(ctx, month, int(media_id), who, turn)
    turn.audit(Action.POST, Result.OK, {"digest": month.key, "campaign_id": campaign_id})
    turn.say(texts.APPROVED.format(month=month.words, who=who, id=campaign_id, count=count))


async def send_digest(ctx: ChatContext, month: Month, media_id: int, actor: str, turn: Turn
                      ) -> tuple[int, int]:
    """The digest as a campaign to all members, started now; (its id, people)."""
    content = await media_content(ctx.reader, media_id)
    with tempfile.TemporaryDirectory(prefix="rupor-digest-") as folder:
        path = Path(folder) / default_name(month)
        path.write_bytes(content)
        new = NewCampaign(texts.LEAFLET_TEXT.format(month=month.words), audience="all",
                          title=texts.CAPTION.format(month=month.words), media_path=path,
                          created_by=actor)
        campaign_id = await create_campaign(ctx.engine, new, ctx.capabilities)
    async with writing(ctx.engine) as conn:
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(kind=DIGEST_KIND, approved_by=actor))
        await mark_once(conn, f"digest:sent:{month.key}", str(campaign_id))
    run = await start_run(ctx.engine, campaign_id, turn.received_at, list(ctx.capabilities))
    await materialise(ctx.engine, run.run_id)
    async with ctx.reader.connect() as conn:
        people = (await conn.execute(select(func.count(func.distinct(Delivery.person_id)))
                                     .where(Delivery.run_id == run.run_id))).scalar()
    return campaign_id, int(people or 0)
