"""The management commands from chat: /plan, /cancel ID, /pause ID, /resume ID, /report ID,
/audience, /help. Each is authorised from the roles held now and answered in Russian; a
wrong argument is answered with what was wrong and an example."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bots.chat import texts
from bots.chat.figures import AS_OF, PROGRESS_AS_OF, count_audience, count_progress
from bots.chat.turn import ChatContext, Turn, allowed
from bots.report_view import render_report, write_chart
from core.access.audit import Result
from core.access.gate import check
from core.access.rules import Action, ChatRequest
from core.campaigns.content import ContentError
from core.campaigns.scheduled import pause_campaign, resume_campaign
from core.campaigns.store import cancel_campaign
from core.ports import Command, MediaFile, Outbound, Span
from core.reach.report import reach_report
from core.storage.models import Campaign
from scheduler.recurrence import cron_words


async def plan(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.REPORT):
        return
    async with ctx.reader.connect() as conn:
        rows = (await conn.execute(
            select(Campaign.id, Campaign.title, Campaign.status, Campaign.run_at, Campaign.cron)
            .where(Campaign.status.in_(("scheduled", "running", "paused")))
            .order_by(Campaign.id))).all()
    ctx.figures.progress.forget({row[0] for row in rows})
    lines = [texts.PLAN_HEAD] + [await _plan_line(ctx, row) for row in rows]
    turn.say("\n".join(lines) if rows else texts.PLAN_EMPTY)


async def _plan_line(ctx: ChatContext, row: tuple[int, str, str, datetime | None, str | None]
                     ) -> str:
    campaign_id, title, status, run_at, cron = row
    if status == "paused":
        return texts.PLAN_PAUSED.format(id=campaign_id, title=title)
    if status == "running" and cron is None:
        counted = await ctx.figures.progress.get(
            campaign_id, lambda: count_progress(ctx.reader, campaign_id))
        done, total = counted.value
        line = texts.PLAN_RUNNING.format(id=campaign_id, title=title, done=done, total=total)
        if counted.cached:
            line += PROGRESS_AS_OF.format(time=f"{counted.at.astimezone(ctx.tz):%H:%M:%S}")
        return line
    if cron is not None:
        words = cron_words(cron)
        schedule = words[0] if words else f"cron «{cron}»"
    elif run_at is not None:
        schedule = f"{run_at.astimezone(ctx.tz):%d.%m.%Y в %H:%M}"
    else:
        schedule = "сразу"
    return texts.PLAN_SCHEDULED.format(id=campaign_id, title=title, schedule=schedule)


# The largest id a database row can have (a signed 64-bit INTEGER in SQLite and PostgreSQL).
MAX_ID = 2**63 - 1


def record_id(value: str) -> int | None:
    """The number a person typed as an id: ASCII digits that fit a database id, else None
    ("²" and "٣" are digits to str.isdigit; 10**30 overflows SQLite's INTEGER)."""
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        return None
    return int(value)


def campaign_id_of(turn: Turn, name: str) -> int | None:
    assert isinstance(turn.event, Command)
    value = turn.event.args.strip().lstrip("№#")
    if not value:
        turn.say(texts.NEEDS_ID.format(command=name))
        return None
    found = record_id(value)
    if found is None:
        turn.say(texts.BAD_ID.format(value=turn.event.args.strip(), command=name))
    return found


Change = Callable[[AsyncEngine, int, str], Awaitable[int]]
CHANGES: dict[str, tuple[Action, Change, str]] = {
    "cancel": (Action.CANCEL, cancel_campaign, texts.CANCELLED),
    "pause": (Action.PAUSE, pause_campaign, texts.PAUSED),
    "resume": (Action.RESUME, resume_campaign, texts.RESUMED),
}


async def change(ctx: ChatContext, turn: Turn, name: str) -> None:
    """/cancel ID, /pause ID, /resume ID through core.campaigns, audited with the result."""
    action, work, answer = CHANGES[name]
    if not await allowed(ctx, turn, action):
        return
    campaign_id = campaign_id_of(turn, name)
    if campaign_id is None:
        return
    try:
        count = await work(ctx.engine, campaign_id, f"{turn.channel}:{turn.sender_id}")
    except ContentError as error:
        turn.audit(action, Result.FAILED, {"campaign_id": campaign_id, "error": str(error)})
        turn.say(f"{error} Номера — в /plan.")
        return
    turn.audit(action, Result.OK, {"campaign_id": campaign_id})
    turn.say(answer.format(id=campaign_id, count=count))


async def report(ctx: ChatContext, turn: Turn) -> None:
    """The reach report as text, then its chart as a picture through the paced sender."""
    if not await allowed(ctx, turn, Action.REPORT):
        return
    campaign_id = campaign_id_of(turn, "report")
    if campaign_id is None:
        return
    async with AsyncSession(ctx.reader) as session:
        exists = await session.get(Campaign, campaign_id)
    found = await reach_report(ctx.reader, campaign_id) if exists else None
    if found is None:
        turn.say((texts.NO_CAMPAIGN if exists is None else texts.NO_REPORT).format(id=campaign_id))
        return
    reads = {name for name, caps in ctx.capabilities.items() if caps.read_receipts}
    text = render_report(found, schools=False, read_receipts=reads, width=60)
    turn.say(text)  # whole: a long one goes in several messages (core.sending.split)
    with tempfile.TemporaryDirectory(prefix="rupor-chart-") as folder:
        chart = write_chart(found, Path(folder) / f"report-{campaign_id}.png").read_bytes()
    picture = MediaFile(0, f"chart-{campaign_id}-{turn.inbound_id}", f"report-{campaign_id}.png",
                        "image/png", len(chart), content=chart)
    caption = (Span(texts.CHART_CAPTION.format(id=campaign_id)),)
    message = Outbound(key=f"chart{turn.inbound_id}", text=caption, media=picture)
    await ctx.sender(turn.channel).send_one(turn.state.account, message)


async def audience(ctx: ChatContext, turn: Turn) -> None:
    """Counts over the whole union, from the cache when fresh (figures.py): the answer then
    says when they were counted."""
    if not await allowed(ctx, turn, Action.AUDIENCE):
        return
    channels = tuple(ctx.capabilities)
    counted = await ctx.figures.audience.get(
        channels, lambda: count_audience(ctx.reader, channels))
    found, total = counted.value, counted.value.stats.total
    lines = [texts.AUDIENCE_HEAD.format(members=total.members, unreachable=total.unreachable)]
    lines += [texts.AUDIENCE_CHANNEL.format(channel=texts.CHANNEL_NAMES.get(c, c), count=n)
              for c, n in total.reachable.items()]
    lines += [f"{row.label}: {row.members}" for row in found.stats.rows]
    lines.append(texts.AUDIENCE_ROLES.format(young=found.young, staff=found.staff))
    if counted.cached:
        lines.append(AS_OF.format(time=f"{counted.at.astimezone(ctx.tz):%H:%M}"))
    turn.say("\n".join(lines))


async def help_(ctx: ChatContext, turn: Turn) -> None:
    """What this person may do: the staff lines their roles allow, then the member ones."""
    lines = [texts.HELP_HEAD]
    for key, action in (("post", Action.POST), ("report_plan", Action.REPORT),
                        ("cancel", Action.CANCEL), ("pause", Action.PAUSE),
                        ("report", Action.REPORT), ("audience", Action.AUDIENCE),
                        ("resend", Action.RESEND), ("poll", Action.POLL),
                        ("results", Action.REPORT), ("roles", Action.GRANT)):
        request = ChatRequest(turn.channel, turn.sender_id, action)
        if (await check(ctx.reader, request)).allowed:
            lines.append(texts.HELP_LINES[key])
    lines.append(texts.HELP_MEMBER)
    turn.say("\n".join(lines))


def unknown(turn: Turn, name: str) -> None:
    turn.say(texts.UNKNOWN_COMMAND.format(command=name))
