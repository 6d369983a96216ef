"""The digest's buttons in the staff chat, pressed by press or an admin (not necessarily
whoever built it): «Одобрить» shows the preview — the message members will get (the PDF
with its caption), sent into that chat through the channel's paced sender, then the figures
per messenger — with «Разослать членам профсоюза» / «Не рассылать»; only that second press
makes the campaign to all members (core.campaigns.store.create_campaign, kind digest),
started at once; once per month — two presses at the same moment in two staff chats make
one: the month's key is claimed in the transaction that makes the campaign a digest, and
the loser's campaign, never started, is deleted there — audited. «Не рассылать» under
either message rejects."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bots.chat import preview
from bots.chat import texts as chat_texts
from bots.chat.turn import ChatContext, NotReady, Turn, allowed
from bots.digest import texts
from bots.digest.approval import PREFIX
from bots.digest.build import default_name
from core.access.audit import Result
from core.access.rules import Action
from core.audience.segments import count_segment, parse_segment, resolve_segment
from core.campaigns.content import Content, parts
from core.campaigns.media import media_file, save_media_ref
from core.campaigns.store import NewCampaign, create_campaign
from core.digest.content import DIGEST_KIND
from core.digest.month import Month
from core.digest.reports import mark_of, mark_once, media_content
from core.ports import Button, Status
from core.sending.runs import materialise, start_run
from core.storage.engine import writing
from core.storage.models import Campaign, Delivery

AUDIENCE = "all"


def _confirm_row(month: Month) -> tuple[tuple[Button, ...], ...]:
    return ((Button(texts.SEND, payload=f"{PREFIX}send:{month.key}"),),
            (Button(texts.CANCEL_SEND, payload=f"{PREFIX}no:{month.key}"),))


async def pressed(ctx: ChatContext, turn: Turn, payload: str) -> None:
    """«Одобрить» (ok: the preview), «Разослать членам профсоюза» (send) or «Не рассылать»
    (no) under a digest."""
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
    elif verb == "ok":
        await _preview(ctx, turn, month, int(media_id), who)
    elif verb == "send":
        campaign_id, count, first = await send_digest(ctx, month, int(media_id), who, turn)
        if not first:  # pressed at the same moment in another staff chat, which won
            turn.say(texts.ALREADY.format(month=month.words, id=campaign_id))
            return
        turn.audit(Action.POST, Result.OK, {"digest": month.key, "campaign_id": campaign_id})
        turn.say(texts.APPROVED.format(month=month.words, who=who, id=campaign_id,
                                       count=count))


async def _preview(ctx: ChatContext, turn: Turn, month: Month, media_id: int, who: str
                   ) -> None:
    """The members' message into the chat where «Одобрить» was pressed, then the figures
    and the one button that sends."""
    channel, chat = turn.channel, turn.state.account
    async with AsyncSession(ctx.reader) as session:
        media = await media_file(session, media_id, channel)
    content = Content(texts.LEAFLET_TEXT.format(month=month.words), media)
    sender = ctx.sender(channel)
    for number, part in enumerate(parts(content, 0, ctx.capabilities[channel])):
        result = await sender.send_one(chat, replace(part, key=f"digest{turn.inbound_id}p{number}"))
        if result.status is Status.RETRY_AFTER:
            raise NotReady(channel)  # the platform asked us to wait: the step is redone
        if result.status is not Status.SENT:
            turn.say(texts.PREVIEW_FAILED.format(reason=result.error or result.status))
            return
        if result.media_ref and media is not None and media.ref is None:
            await save_media_ref(ctx.engine, media_id, channel, result.media_ref)
    async with AsyncSession(ctx.reader) as session:
        resolved = await resolve_segment(session, parse_segment(AUDIENCE))
        count = await count_segment(session, resolved, list(ctx.capabilities))
    draft = {"audience": AUDIENCE, "audience_label": texts.AUDIENCE,
             "when_said": chat_texts.NOW.lower()}
    turn.audit(Action.POST, Result.OK, {"digest": month.key, "approved": True})
    turn.say(texts.PREVIEW_HEAD.format(month=month.words, who=who) + "\n"
             + preview.figures(ctx.capabilities, draft, count), _confirm_row(month))


async def send_digest(ctx: ChatContext, month: Month, media_id: int, actor: str, turn: Turn
                      ) -> tuple[int, int, bool]:
    """The digest as a campaign to all members, started now: (its id, people, True); or,
    when a press elsewhere sent it first, (that campaign's id, 0, False)."""
    content = await media_content(ctx.reader, media_id)
    with tempfile.TemporaryDirectory(prefix="rupor-digest-") as folder:
        path = Path(folder) / default_name(month)
        path.write_bytes(content)
        new = NewCampaign(texts.LEAFLET_TEXT.format(month=month.words), audience=AUDIENCE,
                          title=texts.CAPTION.format(month=month.words), media_path=path,
                          created_by=actor)
        campaign_id = await create_campaign(ctx.engine, new, ctx.capabilities)
    winner = await _claim(ctx, month, campaign_id, actor)
    if winner != campaign_id:
        return winner, 0, False
    run = await start_run(ctx.engine, campaign_id, turn.received_at, list(ctx.capabilities))
    await materialise(ctx.engine, run.run_id)
    async with ctx.reader.connect() as conn:
        people = (await conn.execute(select(func.count(func.distinct(Delivery.person_id)))
                                     .where(Delivery.run_id == run.run_id))).scalar()
    return campaign_id, int(people or 0), True


async def _claim(ctx: ChatContext, month: Month, campaign_id: int, actor: str) -> int:
    """The month's digest campaign, claimed under its once-a-month key in one transaction
    with the campaign made a digest: this one, or the one a press elsewhere claimed first
    (this one, never started, is then deleted in the same transaction)."""
    key = f"digest:sent:{month.key}"
    async with writing(ctx.engine) as conn:
        if not await mark_once(conn, key, str(campaign_id)):
            await conn.execute(delete(Campaign).where(Campaign.id == campaign_id))
            return int(await mark_of(conn, key) or 0)
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(kind=DIGEST_KIND, approved_by=actor))
    return campaign_id
