"""The commonest webhook update — a member's text in a private chat — read straight from
the JSON. aiogram's Update model validates some forty nested models per update (about
0.2 ms, the larger part of a webhook call's CPU); this shortcut gives the very event
`inbound.translate` would, and hands every other shape back to aiogram."""

from __future__ import annotations

import json
from typing import Any

from core.ports import InboundEvent, Sender, Text

from .inbound import CHANNEL, command_or_start

_UPDATE_KEYS = frozenset({"update_id", "message"})
# Facts the event carries that this shortcut does not read: aiogram reads those messages.
_BESIDES_TEXT = frozenset({"reply_to_message", "forward_origin", "sender_chat"})


def quick_event(body: bytes, bot_username: str | None) -> InboundEvent | None:
    """The event of a private text message from a person; None for anything else (the
    caller then parses the update with aiogram, which also refuses what is malformed)."""
    try:
        update = json.loads(body)
    except ValueError:
        return None
    if not isinstance(update, dict) or update.keys() != _UPDATE_KEYS:
        return None
    update_id, message = update["update_id"], update["message"]
    if type(update_id) is not int or not isinstance(message, dict):
        return None
    return _private_text(str(update_id), message, bot_username)


def _private_text(event_id: str, message: dict[str, Any], bot_username: str | None
                  ) -> InboundEvent | None:
    chat, user, text = message.get("chat"), message.get("from"), message.get("text")
    if not (isinstance(chat, dict) and isinstance(user, dict) and isinstance(text, str)):
        return None
    if _BESIDES_TEXT & message.keys() or not _ints(message, "message_id", "date"):
        return None
    if chat.get("type") != "private" or not _ints(chat, "id"):
        return None
    name = _name(user)
    if name is None or user.get("is_bot") is not False or not _ints(user, "id"):
        return None
    sender = Sender(CHANNEL, str(chat["id"]), name)
    if text.startswith("/") and text[1:2].strip():  # as inbound._message decides
        return command_or_start(event_id, sender, text, bot_username)
    return Text(event_id, sender, text)


def _ints(data: dict[str, Any], *keys: str) -> bool:
    return all(type(data.get(key)) is int for key in keys)


def _name(user: dict[str, Any]) -> str | None:
    first, last = user.get("first_name"), user.get("last_name")
    if not isinstance(first, str) or not (last is None or isinstance(last, str)):
        return None
    return " ".join(part for part in (first, last) if part)
