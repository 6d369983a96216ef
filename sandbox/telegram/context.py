"""One Bot API call in progress, and the send pipeline every message-creating method shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import THREAD_NOT_FOUND, bad_request, server_error
from .markup import check_reply_markup
from .spec import MethodSpec
from .state import EmulatorState
from .world import BotAccount, StoredMessage, Target


@dataclass
class CallContext:
    state: EmulatorState
    bot: BotAccount
    method: MethodSpec
    params: dict[str, Any]
    description: str | None = None
    hang: bool = False

    def limit_of(self, field: str, default: int) -> int:
        """The upper length limit the spec states for one of this method's fields."""
        spec = self.method.fields.get(field)
        limit = spec.limit if spec is not None else None
        return limit.high if limit is not None else default


def admit_send(ctx: CallContext, target: Target) -> None:
    """Injected faults, then Telegram's limits; afterwards the send is accepted."""
    state, knobs = ctx.state, ctx.state.knobs
    if knobs.p_5xx and state.rng.random() < knobs.p_5xx:
        state.stats.injected_5xx += 1
        raise server_error(state.rng.choice((500, 502)))
    if knobs.p_429 and state.rng.random() < knobs.p_429:
        state.stats.injected_429 += 1
        raise state.gate.random_refusal(ctx.bot.token, target.chat_id)
    paid = bool(ctx.params.get("allow_paid_broadcast"))
    state.gate.admit(ctx.bot.token, target.chat_id, target.is_group, paid)
    if knobs.p_timeout and state.rng.random() < knobs.p_timeout:
        # "Accepted but the answer times out": the message is delivered, the answer hangs.
        state.stats.injected_timeouts += 1
        ctx.hang = True


def reply_target(ctx: CallContext, target: Target) -> StoredMessage | None:
    """The message replied to (reply_parameters, or the legacy reply_to_message_id)."""
    params = ctx.params
    reply = params.get("reply_parameters")
    if reply is not None:
        message_id, allow = reply["message_id"], reply.get("allow_sending_without_reply", False)
        chat_id = (
            ctx.state.world.find_chat(reply["chat_id"]).chat_id if "chat_id" in reply else None
        )
    elif "reply_to_message_id" in params:
        message_id = params["reply_to_message_id"]
        allow, chat_id = params.get("allow_sending_without_reply", False), None
    else:
        return None
    found = ctx.state.world.history.get(ctx.bot.token, chat_id or target.chat_id, message_id)
    if found is None and not allow:
        raise bad_request("message to be replied not found")
    return found


def thread_of(ctx: CallContext, target: Target) -> int | None:
    """The call's message_thread_id, when it names an open topic of the target forum
    (forums.py); a deleted or unknown topic, or a chat without topics, is refused."""
    thread = ctx.params.get("message_thread_id")
    if thread is None:
        return None
    group = target.group
    if group is None or not group.is_forum or thread not in group.topics:
        raise bad_request(THREAD_NOT_FOUND)
    return int(thread)


def deliver(ctx: CallContext, build: Callable[[], dict[str, Any]], kind: str) -> StoredMessage:
    """Check the chat, the reply and the limits, then store the message `build` describes."""
    state = ctx.state
    markup = check_reply_markup(ctx.params.get("reply_markup"))
    target = state.world.writable_chat(ctx.bot, ctx.params["chat_id"])
    thread = thread_of(ctx, target)
    replied = reply_target(ctx, target)
    admit_send(ctx, target)
    content = build()
    if thread is not None:
        content.update(message_thread_id=thread, is_topic_message=True)
    if replied is not None:
        content["reply_to_message"] = {
            k: v for k, v in replied.payload.items() if k != "reply_to_message"
        }
    if markup is not None:
        content["reply_markup"] = markup
    return state.bot_message(ctx.bot, target, content, kind)


def own_message(ctx: CallContext, not_found: str) -> StoredMessage:
    """A message of chat_id/message_id that the bot may act on, or Telegram's "... not found"."""
    params = ctx.params
    if "inline_message_id" in params:
        raise bad_request("inline messages are not emulated by the sandbox")
    if "chat_id" not in params and "message_id" not in params:
        raise bad_request("message identifier is not specified")
    if "message_id" not in params:
        raise bad_request(not_found)
    if "chat_id" not in params:
        raise bad_request("chat_id is empty")
    target = ctx.state.world.readable_chat(ctx.bot, params["chat_id"])
    found = ctx.state.world.history.get(ctx.bot.token, target.chat_id, params["message_id"])
    if found is None:
        raise bad_request(not_found)
    return found
