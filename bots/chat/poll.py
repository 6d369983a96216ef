"""The /poll dialogue (alias /опрос) as a state machine, after /post's model: question →
options (one per line) → single or multiple → named or anonymous → audience (young teachers
first) → deadline → reminder → when → preview (the poll as members get it, figures per
channel) → confirm. Every step re-authorises (Action.POLL); a button or text that does not
fit the step is answered, never guessed at. Steps are "poll_*" in the account's ChatState;
buttons are "chat:poll:<verb>[:<value>]". The preview and the creation are poll_confirm."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bots.chat import poll_texts as texts
from bots.chat.districts import district_rows
from bots.chat.poll_confirm import confirm, show, toggle_announce
from bots.chat.turn import Buttons, ChatContext, Turn, allowed
from core.access.rules import Action
from core.audience.segments import SegmentError, parse_segment
from core.polls.create import preview as count_audience
from core.polls.spec import DEFAULT_AUDIENCE, NewPoll, PollError, check
from core.ports import Button, ButtonPress, Text
from core.storage.models import Organization
from scheduler.when import Now, Once, WhenError, describe, parse_when

PREFIX = "chat:poll:"
AUDIENCES = {"young": DEFAULT_AUDIENCE, "all": "all"}
# Districts per page: VK's inline keyboard holds 10 buttons — the first page has young
# teachers and the whole region above, every page a typed segment, «Отменить» and up to
# two (first page: one) paging buttons (bots.chat.districts).
DISTRICT_BUTTONS = 5


def row(text: str, payload: str) -> tuple[Button, ...]:
    return (Button(text, payload=f"{PREFIX}{payload}"),)


CANCEL_ROW = row(texts.CANCEL, "cancel")


def is_poll_button(payload: str) -> bool:
    return payload.startswith(PREFIX)


async def start(ctx: ChatContext, turn: Turn) -> None:
    """/poll: a new draft (an older one of either kind is replaced)."""
    if not await allowed(ctx, turn, Action.POLL):
        return
    turn.state.step, turn.state.draft, turn.state.touched = "poll_question", {}, time.time()
    turn.say(texts.ASK_QUESTION, (CANCEL_ROW,))


async def text(ctx: ChatContext, turn: Turn) -> None:
    """Something typed while a poll draft is open."""
    if not await allowed(ctx, turn, Action.POLL, continues=True):
        return
    assert isinstance(turn.event, Text)
    turn.state.touched = time.time()
    typed = turn.event.text.strip()
    handler = TYPED.get(turn.state.step)
    if handler is None:
        turn.say(texts.IN_DIALOGUE.format(what=texts.PRESS_BUTTONS))
        return
    await handler(ctx, turn, typed)


async def button(ctx: ChatContext, turn: Turn) -> None:
    assert isinstance(turn.event, ButtonPress)
    if not turn.state.step.startswith("poll_"):
        turn.say(texts.STALE, to=turn.sender_id)
        return
    if not await allowed(ctx, turn, Action.POLL, continues=True):
        return
    turn.state.touched = time.time()
    verb, _, value = turn.event.payload.removeprefix(PREFIX).partition(":")
    handler = BUTTONS.get((verb, turn.state.step)) or BUTTONS.get((verb, "*"))
    if handler is None:
        turn.say(texts.STALE)
        return
    await handler(ctx, turn, value)


# Question and options ----------------------------------------------------------------------

def _checked(question: str, options: tuple[str, ...]) -> str | None:
    """The refusal for this question and these options, if any (core.polls.spec.check)."""
    now = datetime.now(UTC)
    try:
        check(NewPoll(question, options, now + timedelta(days=1)), now)
    except PollError as error:
        return str(error)
    return None


async def _question(ctx: ChatContext, turn: Turn, typed: str) -> None:
    refusal = _checked(typed, ("1", "2"))
    if refusal:
        turn.say(f"{refusal}\n{texts.ASK_QUESTION}", (CANCEL_ROW,))
        return
    turn.state.draft["question"] = typed
    await next_step(ctx, turn)


async def _options(ctx: ChatContext, turn: Turn, typed: str) -> None:
    options = tuple(line.strip() for line in typed.splitlines() if line.strip())
    refusal = _checked(str(turn.state.draft["question"]), options)
    if refusal:
        turn.say(f"{refusal}\n{texts.ASK_OPTIONS}", (CANCEL_ROW,))
        return
    turn.state.draft["options"] = list(options)
    await next_step(ctx, turn)


async def _kind(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.draft["multiple"] = value == "multiple"
    await next_step(ctx, turn)


async def _privacy(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.draft["anonymous"] = value == "anonymous"
    await next_step(ctx, turn)


# Audience --------------------------------------------------------------------------------

async def _members(ctx: ChatContext, expression: str) -> int:
    return (await count_audience(ctx.reader, expression, list(ctx.capabilities))).members


async def ask_audience(ctx: ChatContext, turn: Turn, page: int = 0) -> None:
    """Young teachers and the whole region (first page), every district's young teachers a
    page at a time, a typed segment."""
    turn.state.step = "poll_audience"
    rows: list[tuple[Button, ...]] = []
    if page == 0:
        rows += [
            row(texts.YOUNG.format(count=await _members(ctx, DEFAULT_AUDIENCE)), "aud:young"),
            row(texts.WHOLE_REGION.format(count=await _members(ctx, "all")), "aud:all"),
        ]

    async def young_in(code: str) -> int:
        return await _members(ctx, f"org:{code} role:young_teacher")

    rows += await district_rows(ctx, page, DISTRICT_BUTTONS, young_in,
                                lambda code: f"{PREFIX}aud:org:{code}",
                                lambda to: f"{PREFIX}audpage:{to}")
    rows += [row(texts.TYPE_SEGMENT, "aud:type"), CANCEL_ROW]
    turn.say(texts.ASK_AUDIENCE, tuple(rows))


async def _audience_page(ctx: ChatContext, turn: Turn, value: str) -> None:
    await ask_audience(ctx, turn, int(value) if value.isdigit() else 0)


async def _audience(ctx: ChatContext, turn: Turn, value: str) -> None:
    draft = turn.state.draft
    if value == "type":
        turn.state.step = "poll_segment"
        turn.say(texts.ASK_SEGMENT, (CANCEL_ROW,))
        return
    if value.startswith("org:"):
        async with ctx.reader.connect() as conn:
            name = (await conn.execute(select(Organization.name).where(
                Organization.code == value[4:]))).scalar()
        if name is None:
            turn.say(texts.STALE)
            return
        draft.update(audience=f"{value} role:young_teacher", audience_label=f"{name}, молодые")
    elif value in AUDIENCES:
        draft.update(audience=AUDIENCES[value],
                     audience_label="молодые педагоги" if value == "young" else "весь регион")
    else:
        turn.say(texts.STALE)
        return
    await next_step(ctx, turn)


async def _segment(ctx: ChatContext, turn: Turn, typed: str) -> None:
    try:
        parse_segment(typed)
        await count_audience(ctx.reader, typed, list(ctx.capabilities))
    except SegmentError as error:
        turn.say(f"{error}\n{texts.ASK_SEGMENT}", (CANCEL_ROW,))
        return
    turn.state.draft.update(audience=typed, audience_label=typed)
    await next_step(ctx, turn)


# Deadline, reminder, when ------------------------------------------------------------------

def _once(ctx: ChatContext, typed: str, refusal: str) -> tuple[datetime, str]:
    now = datetime.now(UTC)
    when = parse_when(typed, now=now, tz=ctx.tz)
    if not isinstance(when, Once):
        raise WhenError(refusal)
    return when.at.astimezone(UTC), describe(when, tz=ctx.tz, now=now)


async def _deadline(ctx: ChatContext, turn: Turn, typed: str) -> None:
    try:
        at, said = _once(ctx, typed, texts.DEADLINE_NOT_ONCE)
    except WhenError as error:
        turn.say(texts.WRONG_TIME.format(error=error), (CANCEL_ROW,))
        return
    turn.state.draft.update(closes_at=at.isoformat(), deadline_said=said)
    turn.state.draft.pop("remind", None)
    await next_step(ctx, turn)


async def _remind(ctx: ChatContext, turn: Turn, typed: str) -> None:
    try:
        at, said = _once(ctx, typed, texts.DEADLINE_NOT_ONCE)
    except WhenError as error:
        turn.say(texts.WRONG_TIME.format(error=error), (row(texts.NO_REMINDER, "remind:none"),
                                                        CANCEL_ROW))
        return
    turn.state.draft.update(remind="at", remind_at=at.isoformat(), remind_said=said)
    await next_step(ctx, turn)


async def _no_reminder(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.draft.update(remind="none", remind_at=None, remind_said=texts.NO)
    await next_step(ctx, turn)


async def _when(ctx: ChatContext, turn: Turn, typed: str) -> None:
    now = datetime.now(UTC)
    try:
        when = parse_when(typed, now=now, tz=ctx.tz)
        if not isinstance(when, Once | Now):
            raise WhenError(texts.WHEN_NOT_ONCE)
    except WhenError as error:
        turn.say(texts.WRONG_TIME.format(error=error), (row(texts.NOW, "when:now"), CANCEL_ROW))
        return
    at = when.at.astimezone(UTC).isoformat() if isinstance(when, Once) else None
    turn.state.draft.update(when="once" if at else "now", run_at=at,
                            when_said=describe(when, tz=ctx.tz, now=now))
    await next_step(ctx, turn)


async def _now(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.draft.update(when="now", run_at=None, when_said=texts.NOW.lower())
    await next_step(ctx, turn)


# Moving on -------------------------------------------------------------------------------

ASKS: tuple[tuple[str, str, str, Buttons], ...] = (
    ("question", "poll_question", texts.ASK_QUESTION, (CANCEL_ROW,)),
    ("options", "poll_options", texts.ASK_OPTIONS, (CANCEL_ROW,)),
    ("multiple", "poll_kind", texts.ASK_KIND,
     (row(texts.SINGLE, "kind:single"), row(texts.MULTIPLE, "kind:multiple"), CANCEL_ROW)),
    ("anonymous", "poll_privacy", texts.ASK_PRIVACY,
     (row(texts.NAMED, "privacy:named"), row(texts.ANONYMOUS, "privacy:anonymous"),
      CANCEL_ROW)),
)


async def next_step(ctx: ChatContext, turn: Turn) -> None:
    """The first step still missing; the preview once nothing is."""
    draft = turn.state.draft
    for key, step, said, buttons in ASKS:
        if key not in draft:
            turn.state.step = step
            turn.say(said, buttons)
            return
    if "audience" not in draft:
        await ask_audience(ctx, turn)
    elif "closes_at" not in draft:
        turn.state.step = "poll_deadline"
        turn.say(texts.ASK_DEADLINE.format(audience=draft["audience_label"]), (CANCEL_ROW,))
    elif "remind" not in draft:
        turn.state.step = "poll_remind"
        turn.say(texts.ASK_REMIND.format(deadline=draft["deadline_said"]),
                 (row(texts.NO_REMINDER, "remind:none"), CANCEL_ROW))
    elif "when" not in draft:
        turn.state.step = "poll_when"
        turn.say(texts.ASK_WHEN, (row(texts.NOW, "when:now"), CANCEL_ROW))
    else:
        await show(ctx, turn)


async def _edit(ctx: ChatContext, turn: Turn, value: str) -> None:
    forget = {"question": ("question",), "options": ("options",), "aud": ("audience",),
              "deadline": ("closes_at", "remind")}.get(value, ())
    for key in forget:
        turn.state.draft.pop(key, None)
    await next_step(ctx, turn)


async def _cancel(ctx: ChatContext, turn: Turn, value: str) -> None:
    turn.state.clear()
    turn.say(texts.CANCELLED)


Step = Callable[[ChatContext, Turn, str], Awaitable[None]]
TYPED: dict[str, Step] = {
    "poll_question": _question, "poll_options": _options, "poll_segment": _segment,
    "poll_audience": _segment, "poll_deadline": _deadline, "poll_remind": _remind,
    "poll_when": _when,
}
BUTTONS: dict[tuple[str, str], Step] = {
    ("kind", "poll_kind"): _kind,
    ("privacy", "poll_privacy"): _privacy,
    ("aud", "poll_audience"): _audience,
    ("audpage", "poll_audience"): _audience_page,
    ("aud", "poll_segment"): _audience,
    ("remind", "poll_remind"): _no_reminder,
    ("when", "poll_when"): _now,
    ("create", "poll_confirm"): confirm,
    ("announce", "poll_confirm"): toggle_announce,
    ("edit", "poll_confirm"): _edit,
    ("cancel", "*"): _cancel,
}
