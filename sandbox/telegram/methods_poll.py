"""sendPoll and stopPoll, checked as TDLib checks polls (lengths in characters, not UTF-16)."""

from __future__ import annotations

from typing import Any

from .context import CallContext, deliver, own_message
from .errors import bad_request
from .markup import check_reply_markup
from .polls import PollState
from .text import format_text

QUESTION_LIMIT = 300
OPTION_LIMIT = 100
OPTIONS_LIMIT = 12


def _question(ctx: CallContext) -> tuple[str, list[dict[str, Any]]]:
    params = ctx.params
    question = format_text(
        params["question"], params.get("question_parse_mode"), params.get("question_entities")
    )
    if not question.text.strip():
        raise bad_request("text must be non-empty")
    limit = ctx.limit_of("question", QUESTION_LIMIT)
    if len(question.text) > limit:
        raise bad_request(f"poll question length must not exceed {limit}")
    # "Currently, only custom emoji entities are allowed" in poll questions and options.
    return question.text, [e for e in question.entities if e["type"] == "custom_emoji"]


def _options(ctx: CallContext) -> list[str]:
    options = ctx.params["options"]
    spec = ctx.method.fields["options"].limit
    most = spec.high if spec is not None else OPTIONS_LIMIT
    if not options:
        raise bad_request("poll must have at least one answer option")
    if len(options) > most:
        raise bad_request(f"poll can't have more than {most} options")
    texts = []
    for option in options:
        text = format_text(option["text"], option.get("text_parse_mode"), None).text
        if not text.strip():
            raise bad_request("text must be non-empty")
        if len(text) > OPTION_LIMIT:
            raise bad_request(f"poll options length must not exceed {OPTION_LIMIT}")
        texts.append(text)
    return texts


def _new_poll(ctx: CallContext) -> PollState:
    params = ctx.params
    question, entities = _question(ctx)
    options = _options(ctx)
    kind = params.get("type", "regular")
    if kind not in ("regular", "quiz"):
        raise bad_request("unsupported poll type specified")
    correct = params.get("correct_option_ids")
    if correct is None and "correct_option_id" in params:
        correct = [params["correct_option_id"]]
    if kind == "quiz" and (not correct or any(not 0 <= i < len(options) for i in correct)):
        raise bad_request("wrong correct option identifiers specified for the quiz")
    poll = PollState(
        id=ctx.state.new_poll_id(),
        token=ctx.bot.token,
        chat_id=0,
        message_id=0,
        question=question,
        options=options,
        is_anonymous=params.get("is_anonymous", True),
        type=kind,
        allows_multiple_answers=params.get("allows_multiple_answers", False),
        allows_revoting=params.get("allows_revoting", kind == "regular"),
        is_closed=params.get("is_closed", False),
        correct_option_ids=correct if kind == "quiz" else None,
    )
    if entities:
        poll.extra["question_entities"] = entities
    for key in ("open_period", "close_date", "explanation"):
        if key in params:
            poll.extra[key] = params[key]
    return poll


async def send_poll(ctx: CallContext) -> dict[str, Any]:
    poll = _new_poll(ctx)

    def build() -> dict[str, Any]:
        ctx.state.polls[poll.id] = poll
        return {"poll": poll.to_json()}

    stored = deliver(ctx, build, "poll")
    poll.chat_id, poll.message_id = stored.chat_id, stored.message_id
    return stored.payload


def copy_poll(ctx: CallContext, poll_id: str) -> dict[str, Any]:
    """copyMessage of a poll makes a new open poll with the same settings and no votes."""
    original = ctx.state.polls[poll_id]
    poll = PollState(
        id=ctx.state.new_poll_id(),
        token=ctx.bot.token,
        chat_id=0,
        message_id=0,
        question=original.question,
        options=list(original.options),
        is_anonymous=original.is_anonymous,
        type=original.type,
        allows_multiple_answers=original.allows_multiple_answers,
        allows_revoting=original.allows_revoting,
        correct_option_ids=original.correct_option_ids,
        extra=dict(original.extra),
    )
    ctx.state.polls[poll.id] = poll
    return poll.to_json()


async def stop_poll(ctx: CallContext) -> dict[str, Any]:
    message = own_message(ctx, "message with poll to stop not found")
    if message.kind != "poll" or not message.from_bot:
        raise bad_request("message with poll to stop not found")
    poll = ctx.state.polls[message.payload["poll"]["id"]]
    if poll.is_closed:
        raise bad_request("poll has already been closed")
    markup = check_reply_markup(ctx.params.get("reply_markup"))
    poll.is_closed = True
    message.payload["poll"] = poll.to_json()
    if markup is not None:
        message.payload["reply_markup"] = markup
    else:
        message.payload.pop("reply_markup", None)
    # "Bots receive only updates about manually stopped polls and polls, which are sent by the bot."
    ctx.state.push_update(ctx.bot.token, "poll", poll.to_json())
    return poll.to_json()
