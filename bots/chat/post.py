"""The /post dialogue as a state machine: content → audience → when → preview → confirm,
each step one handler; every step re-authorises, a button or text that does not fit the
current step is answered, never guessed at. The preview and the campaign are `preview`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bots.chat import approvals, preview, public, texts
from bots.chat.districts import NAV_BUTTONS, district_rows
from bots.chat.leaflets import LeafletRefused, received_leaflet
from bots.chat.turn import Buttons, ChatContext, Turn, allowed
from core.access.rules import Action
from core.audience.segments import SegmentError, count_segment, parse_segment, resolve_segment
from core.campaigns.content import Content, ContentError, check
from core.ports import Button, ButtonPress, Text
from core.storage.models import Organization
from scheduler.when import Now, Once, When, WhenError, describe, parse_when

SEGMENTS = {"all": "all", "young": "role:young_teacher", "staff": "role:staff"}
# VK's inline keyboard holds 10 buttons: the districts, up to 3 paging ones, «Назад».
DISTRICTS_PER_PAGE = 10 - NAV_BUTTONS - 1


def _button(text: str, payload: str) -> tuple[Button, ...]:
    return (Button(text, payload=f"chat:{payload}"),)


CANCEL_ROW = _button(texts.CANCEL, "cancel")


async def start(ctx: ChatContext, turn: Turn) -> None:
    """/post: a new draft (an older one is replaced)."""
    if not await allowed(ctx, turn, Action.POST):
        return
    turn.state.step, turn.state.draft, turn.state.touched = "content", {}, time.time()
    turn.say(texts.ASK_CONTENT, (CANCEL_ROW,))


async def cancel_draft(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.POST, continues=True):
        return
    turn.state.clear()
    turn.say(texts.DRAFT_CANCELLED)


async def text(ctx: ChatContext, turn: Turn) -> None:
    """Something typed (or a file sent) while a draft is open."""
    if not await allowed(ctx, turn, Action.POST, continues=True):
        return
    assert isinstance(turn.event, Text)
    turn.state.touched = time.time()
    step = turn.state.step
    if step == "content":
        await _content(ctx, turn, turn.event)
    elif step in ("audience", "district", "segment"):
        await _segment(ctx, turn, turn.event.text.strip())
    elif step == "when":
        await _when(ctx, turn, turn.event.text.strip())
    else:
        turn.say(texts.IN_DIALOGUE.format(what="нажмите «Отправить» или «Изменить…»."))


async def button(ctx: ChatContext, turn: Turn) -> None:
    """A button of the dialogue: chat:<verb>[:<value>]."""
    assert isinstance(turn.event, ButtonPress)
    if not turn.state.step:
        turn.say(texts.STALE_BUTTON, to=turn.sender_id)
        return
    if not await allowed(ctx, turn, Action.POST, continues=True):
        return
    turn.state.touched = time.time()
    verb, _, value = turn.event.payload.removeprefix("chat:").partition(":")
    handler = BUTTONS.get((verb, turn.state.step)) or BUTTONS.get((verb, "*"))
    if handler is None:
        turn.say(texts.STALE_BUTTON)
        return
    await handler(ctx, turn, value)


# Content ---------------------------------------------------------------------------------

async def _content(ctx: ChatContext, turn: Turn, event: Text) -> None:
    draft = turn.state.draft
    try:
        if event.attachment:
            media = await received_leaflet(ctx, turn.channel, event)
            draft.update(media_id=media.media_id, media_name=media.filename,
                         text=(event.caption or "").strip())
        else:
            draft.update(media_id=None, media_name=None, text=event.text.strip())
        content = Content(str(draft["text"]), media if event.attachment else None)
        for name, caps in ctx.capabilities.items():
            check(content, name, caps)
    except (ContentError, LeafletRefused) as error:
        draft.pop("text", None)
        turn.say(f"{error}\n{texts.NEED_CONTENT}", (CANCEL_ROW,))
        return
    await _next(ctx, turn)


# Audience --------------------------------------------------------------------------------

async def ask_audience(ctx: ChatContext, turn: Turn) -> None:
    turn.state.step = "audience"
    counts = {key: await _count(ctx, expr) for key, expr in SEGMENTS.items()}
    rows: Buttons = (
        _button(texts.WHOLE_REGION.format(count=counts["all"]), "aud:all"),
        _button(texts.DISTRICTS, "dist:0"),
        _button(texts.YOUNG.format(count=counts["young"]), "aud:young"),
        _button(texts.STAFF.format(count=counts["staff"]), "aud:staff"),
        _button(texts.TYPE_SEGMENT, "aud:type"),
        *public.toggle_rows(ctx, turn.state.draft),
        CANCEL_ROW,
    )
    turn.say(texts.ASK_AUDIENCE + public.chosen_note(ctx, turn.state.draft), rows)


async def _also(ctx: ChatContext, turn: Turn, page: str) -> None:
    """«＋ Канал Telegram» / «＋ Стена сообщества VK»: on or off, then the question again."""
    public.toggle(ctx, turn.state.draft, page)
    await ask_audience(ctx, turn)


async def _count(ctx: ChatContext, expression: str) -> int:
    async with AsyncSession(ctx.reader) as session:
        resolved = await resolve_segment(session, parse_segment(expression))
        return (await count_segment(session, resolved, list(ctx.capabilities))).members


async def _audience(ctx: ChatContext, turn: Turn, value: str) -> None:
    if value == "type":
        turn.state.step = "segment"
        turn.say(texts.ASK_SEGMENT, (CANCEL_ROW,))
        return
    if value not in SEGMENTS:
        turn.say(texts.STALE_BUTTON)
        return
    turn.state.draft.update(audience=SEGMENTS[value], audience_label=texts.AUDIENCE_LABELS[value])
    await _next(ctx, turn)


async def _districts(ctx: ChatContext, turn: Turn, value: str) -> None:
    async def count(code: str) -> int:
        return await _count(ctx, f"org:{code}")

    rows = await district_rows(ctx, int(value) if value.isdigit() else 0, DISTRICTS_PER_PAGE,
                               count, lambda code: f"chat:org:{code}",
                               lambda page: f"chat:dist:{page}")
    rows.append(_button(texts.BACK, "aud:back"))
    turn.state.step = "district"
    turn.say(texts.ASK_DISTRICT, tuple(rows))


async def _district(ctx: ChatContext, turn: Turn, code: str) -> None:
    async with ctx.reader.connect() as conn:
        name = (await conn.execute(select(Organization.name)
                                   .where(Organization.code == code))).scalar()
    if name is None:
        turn.say(texts.STALE_BUTTON)
        return
    turn.state.draft.update(audience=f"org:{code}", audience_label=str(name))
    await _next(ctx, turn)


async def _segment(ctx: ChatContext, turn: Turn, expression: str) -> None:
    try:
        async with AsyncSession(ctx.reader) as session:
            await resolve_segment(session, parse_segment(expression))
    except SegmentError as error:
        turn.state.step = "segment"
        turn.say(f"{error}\n{texts.ASK_SEGMENT}", (CANCEL_ROW,))
        return
    turn.state.draft.update(audience=expression, audience_label=expression)
    await _next(ctx, turn)


async def _back(ctx: ChatContext, turn: Turn, value: str) -> None:
    if value == "back":
        await ask_audience(ctx, turn)
    else:
        await _audience(ctx, turn, value)


# When ------------------------------------------------------------------------------------

def _ask_when(turn: Turn) -> None:
    turn.state.step = "when"
    label = turn.state.draft.get("audience_label", "")
    turn.say(texts.ASK_WHEN.format(audience=label), (_button(texts.NOW, "when:now"), CANCEL_ROW))


async def _when(ctx: ChatContext, turn: Turn, phrase: str) -> None:
    now = datetime.now(UTC)
    try:
        when: When = parse_when(phrase, now=now, tz=ctx.tz)
    except WhenError as error:
        turn.say(texts.WHEN_WRONG.format(error=error), (_button(texts.NOW, "when:now"),
                                                         CANCEL_ROW))
        return
    _set_when(ctx, turn, when)
    await preview.show(ctx, turn)


async def _now(ctx: ChatContext, turn: Turn, value: str) -> None:
    _set_when(ctx, turn, Now())
    await preview.show(ctx, turn)


def _set_when(ctx: ChatContext, turn: Turn, when: When) -> None:
    said = describe(when, tz=ctx.tz, now=datetime.now(UTC))
    draft = turn.state.draft
    draft.update(when="now", run_at=None, cron=None, when_said=said)
    if isinstance(when, Once):
        draft.update(when="once", run_at=when.at.astimezone(UTC).isoformat())
    elif not isinstance(when, Now):
        draft.update(when="cron", cron=when.cron)


# Moving on -------------------------------------------------------------------------------

async def _next(ctx: ChatContext, turn: Turn) -> None:
    """The first step still missing; the preview once nothing is."""
    draft = turn.state.draft
    if "text" not in draft:
        turn.state.step = "content"
        turn.say(texts.ASK_CONTENT, (CANCEL_ROW,))
    elif "audience" not in draft:
        await ask_audience(ctx, turn)
    elif "when" not in draft:
        _ask_when(turn)
    else:
        await preview.show(ctx, turn)


async def _edit(ctx: ChatContext, turn: Turn, value: str) -> None:
    forget = {"text": ("text", "media_id", "media_name"), "aud": ("audience",),
              "when": ("when",)}.get(value, ())
    for key in forget:
        turn.state.draft.pop(key, None)
    await _next(ctx, turn)


async def _cancel(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.clear()
    turn.say(texts.DRAFT_CANCELLED)


Step = Callable[[ChatContext, Turn, str], Awaitable[None]]
BUTTONS: dict[tuple[str, str], Step] = {
    ("aud", "audience"): _audience,
    ("also", "audience"): _also,
    ("aud", "district"): _back,
    ("aud", "segment"): _audience,
    ("dist", "audience"): _districts,
    ("dist", "district"): _districts,
    ("org", "district"): _district,
    ("when", "when"): _now,
    ("send", "confirm"): approvals.confirm,
    ("edit", "confirm"): _edit,
    ("cancel", "*"): _cancel,
}
