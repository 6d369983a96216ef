"""Runs of scheduled and monthly posts on the union's public pages: the scheduler starts a
run in core (core.sending.fire), which knows no adapters; the chat service calls
`publish_started` every round, which finds runs started within the last day of campaigns
whose content asks for pages (campaigns.content["also"]) with a page not yet recorded for
that run, and publishes them through bots.chat.public — the claimed intent makes it once
per run across processes and restarts. The campaign's author is told the outcome in chat
(a queued reply); a «Сейчас» post told on confirm is not told again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bots.chat import public, texts
from bots.chat.turn import ChatContext, NotReady
from core.audience.members import contact_for
from core.campaigns.content import Content, buttons_from_json
from core.campaigns.media import media_file
from core.campaigns.public import LEASE_S, Outcome, run_records
from core.ports import Sender, Span
from core.sending.replies import queue_reply
from core.storage.engine import writing
from core.storage.models import Campaign, CampaignRun

log = logging.getLogger("rupor.chat")

RECENT = timedelta(days=1)  # a run older than this is not published after long downtime
SKIPPED = ("missed", "held", "cancelled")


async def publish_started(ctx: ChatContext, on_replies: Callable[[], None] | None) -> None:
    """Publish every started run that still owes a page; errors are logged, not raised."""
    try:
        for run in await _owing(ctx):
            await _publish(ctx, run, on_replies)
    except NotReady:
        pass  # the Telegram channel is not running yet: the next round tries again
    except Exception:
        log.exception("chat: publishing runs on the public pages failed")


async def _owing(ctx: ChatContext) -> list[Any]:
    since = datetime.now(UTC) - RECENT
    async with ctx.reader.connect() as conn:
        rows = (await conn.execute(
            select(CampaignRun.id, CampaignRun.campaign_id, CampaignRun.scheduled_for,
                   CampaignRun.started_at, Campaign.content, Campaign.title,
                   Campaign.created_by, Campaign.run_at, Campaign.cron)
            .join(Campaign, Campaign.id == CampaignRun.campaign_id)
            .where(CampaignRun.started_at >= since, CampaignRun.status.not_in(SKIPPED))
            .order_by(CampaignRun.id))).all()
    ready = set(public.available(ctx))
    return [row for row in rows if _owes(row.content, row.id, ready) and _ours(row)]


def _ours(run: Any) -> bool:
    """A «Сейчас» post's run is published by its confirm step: taken here only once that
    step's claim would have lapsed (a crash in between), never racing it."""
    if run.run_at is not None or run.cron is not None:
        return True
    started = run.started_at.replace(tzinfo=run.started_at.tzinfo or UTC)
    return bool(datetime.now(UTC) - started > timedelta(seconds=LEASE_S))


def _owes(content: dict[str, Any] | None, run_id: int, ready: set[str]) -> bool:
    asked = set((content or {}).get("also") or []) & ready
    done = {page for page, r in run_records(content, run_id).items()
            if r.get("state") != "publishing"}
    return bool(asked - done)


async def _publish(ctx: ChatContext, run: Any, on_replies: Callable[[], None] | None) -> None:
    content = dict(run.content or {})

    async def content_of(channel: str) -> Content:
        async with AsyncSession(ctx.reader) as session:
            media = (await media_file(session, content["media_id"], channel)
                     if content.get("media_id") else None)
        return Content(str(content.get("text") or ""), media,
                       buttons_from_json(content.get("buttons")))

    done = await public.publish(ctx, run.campaign_id, run.id, list(content.get("also") or []),
                                content_of)
    here = {page: o for page, o in done.items() if o is not None and o.here}
    if here:
        await _tell(ctx, run, here)
        if on_replies is not None:
            on_replies()


async def _tell(ctx: ChatContext, run: Any, here: dict[str, Outcome]) -> None:
    """The outcome to the campaign's author, when the author is a chat account."""
    when = run.scheduled_for.replace(tzinfo=run.scheduled_for.tzinfo or UTC).astimezone(ctx.tz)
    text = texts.RUN_PAGES.format(id=run.campaign_id, title=run.title,
                                  when=f"{when:%d.%m.%Y %H:%M}") + public.told(dict(here))
    channel, _, account = str(run.created_by or "").partition(":")
    if channel not in ctx.capabilities or not account:
        log.info("%s", text)
        return
    async with writing(ctx.engine) as conn:
        contact = await contact_for(conn, Sender(channel, account))
        await queue_reply(conn, channel, contact.id, (Span(text),))
