"""The last steps of /post: the preview — the campaign's real parts sent to the press
secretary through the channel's paced sender, exactly as members get them, then the
figures — and the confirmed campaign.

Creating the campaign is idempotent per confirmation: a crash after it was created but
before the step committed finds it again (same account, created after the press), and a
"now" run is started for the press's own moment (start_run is one run per slot)."""

from __future__ import annotations

import math
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bots.chat import public, texts
from bots.chat.turn import Buttons, ChatContext, NotReady, Turn
from core.access.audit import Result
from core.access.rules import Action
from core.audience.segments import (
    SegmentCount,
    SegmentError,
    count_segment,
    parse_segment,
    resolve_segment,
)
from core.campaigns.content import Content, ContentError, parts
from core.campaigns.media import media_file, save_media_ref
from core.campaigns.public import ask_for_pages
from core.campaigns.store import NewCampaign, create_campaign
from core.ports import Button, Capabilities, Status
from core.sending.runs import materialise, start_run
from core.storage.models import Campaign, Media


def _row(text: str, payload: str) -> tuple[Button, ...]:
    return (Button(text, payload=f"chat:{payload}"),)


CONFIRM: Buttons = (
    _row(texts.SEND, "send"), _row(texts.EDIT_TEXT, "edit:text"),
    _row(texts.EDIT_AUDIENCE, "edit:aud"), _row(texts.EDIT_WHEN, "edit:when"),
    _row(texts.CANCEL, "cancel"),
)


async def draft_content(ctx: ChatContext, channel: str, draft: dict[str, Any]) -> Content:
    media = None
    if draft.get("media_id"):
        async with AsyncSession(ctx.reader) as session:
            media = await media_file(session, draft["media_id"], channel)
    return Content(str(draft.get("text") or ""), media)


async def show(ctx: ChatContext, turn: Turn) -> None:
    """The campaign's parts to the press secretary, then the figures and the choice."""
    draft, channel = turn.state.draft, turn.channel
    content = await draft_content(ctx, channel, draft)
    sender = ctx.sender(channel)
    for number, part in enumerate(parts(content, 0, ctx.capabilities[channel])):
        part = replace(part, key=f"preview{turn.inbound_id}p{number}")
        result = await sender.send_one(turn.state.account, part)
        if result.status is Status.RETRY_AFTER:
            raise NotReady(channel)  # the platform asked us to wait: the step is redone
        if result.status is not Status.SENT:
            turn.state.step = "confirm"
            turn.say(texts.PREVIEW_FAILED.format(reason=result.error or result.status), CONFIRM)
            return
        if result.media_ref and content.media is not None and content.media.ref is None:
            await save_media_ref(ctx.engine, content.media.media_id, channel, result.media_ref)
    count = await _count(ctx, str(draft["audience"]))
    turn.state.step = "confirm"
    turn.say(texts.PREVIEW_HEAD + "\n" + figures(ctx.capabilities, draft, count)
             + public.preview_line(ctx, draft), CONFIRM)


async def _count(ctx: ChatContext, expression: str) -> SegmentCount:
    async with AsyncSession(ctx.reader) as session:
        resolved = await resolve_segment(session, parse_segment(expression))
        return await count_segment(session, resolved, list(ctx.capabilities))


def figures(caps: dict[str, Capabilities] | Any, draft: dict[str, Any],
            count: SegmentCount) -> str:
    lines = [texts.PREVIEW_CHANNEL.format(channel=texts.CHANNEL_NAMES.get(name, name),
                                          count=count.reachable.get(name, 0))
             for name in caps]
    seconds = max((sending_seconds(count.reachable.get(name, 0), c) for name, c in caps.items()),
                  default=0.0)
    return texts.PREVIEW.format(
        audience=draft.get("audience_label", draft["audience"]), when=draft["when_said"],
        per_channel="\n".join(lines), unreachable=count.unreachable,
        duration=texts.duration(seconds))


def sending_seconds(recipients: int, caps: Capabilities) -> float:
    """Recipients / (calls per second × recipients per call) at the channel's ceiling."""
    rate = caps.calls_per_second
    if caps.window_calls and caps.window_s:
        rate = min(rate, caps.window_calls / caps.window_s)
    return math.ceil(recipients / caps.max_recipients_per_call) / rate if recipients else 0.0


# Confirmed -------------------------------------------------------------------------------

async def confirm(ctx: ChatContext, turn: Turn, value: str) -> None:
    draft, actor = turn.state.draft, f"{turn.channel}:{turn.state.account}"
    pressed = turn.received_at if turn.received_at.tzinfo else turn.received_at.replace(tzinfo=UTC)
    try:
        campaign_id = await _created_since(ctx, actor, pressed) or await _create(ctx, draft, actor)
        if public.chosen(ctx, draft):  # every run posts there (bots.chat.public_runs)
            await ask_for_pages(ctx.engine, campaign_id, public.chosen(ctx, draft))
        members, run_id = 0, None
        if draft["when"] == "now":
            run = await start_run(ctx.engine, campaign_id, pressed, list(ctx.capabilities))
            await materialise(ctx.engine, run.run_id)
            members, run_id = (await _count(ctx, str(draft["audience"]))).members, run.run_id
    except (ContentError, SegmentError) as error:
        turn.audit(Action.POST, Result.FAILED, {"error": str(error)})
        turn.say(texts.CREATE_FAILED.format(reason=error), CONFIRM)
        return
    pages = {} if run_id is None else await public.publish(
        ctx, campaign_id, run_id, public.chosen(ctx, draft),
        lambda channel: draft_content(ctx, channel, draft))
    turn.audit(Action.POST, Result.OK, {"campaign_id": campaign_id, "when": draft["when"],
                                        **({"public": public.pages_of(pages)} if pages else {})})
    said = (texts.CREATED_NOW.format(id=campaign_id, count=members) if draft["when"] == "now"
            else texts.CREATED_LATER.format(id=campaign_id, when=draft["when_said"]))
    said += public.told(pages)
    turn.state.clear()
    turn.say(said)


async def _created_since(ctx: ChatContext, actor: str, pressed: datetime) -> int | None:
    async with ctx.engine.connect() as conn:
        found = await conn.execute(select(Campaign.id).where(
            Campaign.created_by == actor, Campaign.created_at >= pressed))
        return found.scalar()


async def _create(ctx: ChatContext, draft: dict[str, Any], actor: str) -> int:
    run_at = datetime.fromisoformat(draft["run_at"]) if draft.get("run_at") else None
    new = NewCampaign(text=str(draft.get("text") or ""), audience=str(draft["audience"]),
                      run_at=run_at, cron=draft.get("cron"), created_by=actor)
    if not draft.get("media_id"):
        return await create_campaign(ctx.engine, new, ctx.capabilities)
    async with ctx.reader.connect() as conn:
        name, content = (await conn.execute(select(Media.filename, Media.content)
                                            .where(Media.id == int(draft["media_id"])))).one()
    with tempfile.TemporaryDirectory(prefix="rupor-chat-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        return await create_campaign(ctx.engine, replace(new, media_path=path), ctx.capabilities)
