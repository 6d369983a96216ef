"""editMessageText, editMessageReplyMarkup, deleteMessage and answerCallbackQuery.

Edits and deletions are not sends: they do not count against the broadcast limits.
"""

from __future__ import annotations

from typing import Any

from .context import CallContext, own_message
from .errors import QUERY_TOO_OLD, bad_request
from .markup import check_reply_markup
from .methods_send import TEXT_LIMIT
from .text import check_message_text, format_text
from .world import StoredMessage

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def _editable(ctx: CallContext) -> StoredMessage:
    message = own_message(ctx, "message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


async def edit_message_text(ctx: CallContext) -> dict[str, Any]:
    params = ctx.params
    if "rich_message" in params:
        raise bad_request("rich messages are not emulated by the sandbox")
    if "text" not in params:
        raise bad_request("message text is empty")
    formatted = format_text(params["text"], params.get("parse_mode"), params.get("entities"))
    check_message_text(formatted, ctx.limit_of("text", TEXT_LIMIT))
    markup = check_reply_markup(params.get("reply_markup"))
    message = _editable(ctx)
    if message.kind != "text":
        raise bad_request("there is no text in the message to edit")
    payload = message.payload
    unchanged = (
        payload.get("text") == formatted.text
        and payload.get("entities", []) == formatted.entities
        and payload.get("reply_markup") == markup
    )
    if unchanged:
        raise bad_request(NOT_MODIFIED)
    payload.pop("entities", None)
    formatted.put(payload, "text", "entities")
    _set_markup(payload, markup)
    payload["edit_date"] = ctx.state.now()
    return payload


async def edit_message_reply_markup(ctx: CallContext) -> dict[str, Any]:
    markup = check_reply_markup(ctx.params.get("reply_markup"))
    message = _editable(ctx)
    if message.payload.get("reply_markup") == markup:
        raise bad_request(NOT_MODIFIED)
    _set_markup(message.payload, markup)
    message.payload["edit_date"] = ctx.state.now()
    return message.payload


def _set_markup(payload: dict[str, Any], markup: dict[str, Any] | None) -> None:
    """An edit without reply_markup removes the inline keyboard, as on Telegram."""
    if markup is None:
        payload.pop("reply_markup", None)
    else:
        payload["reply_markup"] = markup


async def delete_message(ctx: CallContext) -> bool:
    message = own_message(ctx, "message to delete not found")
    # "Bots can delete outgoing messages ... and incoming messages in private chats";
    # other people's messages in groups need admin rights, which sandbox bots never have.
    if not message.from_bot and message.chat_id < 0:
        raise bad_request("message can't be deleted")
    message.deleted = True
    return True


async def answer_callback_query(ctx: CallContext) -> bool:
    query = ctx.state.callbacks.get(ctx.params["callback_query_id"])
    if query is None or query.token != ctx.bot.token or query.answered:
        raise bad_request(QUERY_TOO_OLD)
    query.answered = True
    query.answer = {
        key: ctx.params[key]
        for key in ("text", "show_alert", "url", "cache_time")
        if key in ctx.params
    }
    return True
