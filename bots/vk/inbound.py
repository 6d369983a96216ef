"""VK community events (Bots Long Poll updates and Callback API bodies) as inbound events.

The envelope is {type, event_id, v, object, group_id}; objects as in VK API 5.199
(specs/vk/callback/objects.json). Nothing of the raw dict leaves this module.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bots.attachments import combined
from bots.vk.attachments import SentFile, attachments_of, sent_files
from bots.vk.outgoing import CHAT_PEER_START
from core.ports import (
    ButtonPress,
    Command,
    InboundEvent,
    Receipt,
    Sender,
    Subscribed,
    Text,
    Unsubscribed,
)

log = logging.getLogger("rupor.vk")

CHANNEL = "vk"
# In group chats VK puts the community's mention first: "[club123|@rupor] /post ...".
_MENTION = re.compile(r"^\[(?:club|public)\d+\|[^\]]*\][,:\s]*")
_START = frozenset({"начать", "start"})


@dataclass(frozen=True)
class ButtonEvent:
    """A callback-button press VK waits to see answered (messages.sendMessageEventAnswer)."""

    event_id: str
    user_id: int
    peer_id: int


def _sender(peer_id: int) -> Sender:
    return Sender(CHANNEL, str(peer_id), is_group=peer_id >= CHAT_PEER_START)


def _decode(payload: Any) -> Any:
    """Message payloads arrive as JSON strings, message_event payloads as objects."""
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return None
    return payload


def _rupor(payload: Any) -> str | None:
    decoded = _decode(payload)
    if isinstance(decoded, dict) and isinstance(decoded.get("rupor"), str):
        return str(decoded["rupor"])
    return None


def command_of(event_id: str, sender: Sender, text: str) -> Command | None:
    """ "/name@bot args" -> Command(name, args); None if the text is no command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return Command(event_id, sender, name, args.strip()) if name else None


def _message_new(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    message = obj.get("message") or {}
    if not isinstance(message, dict):
        return []
    peer_id = int(message.get("peer_id") or message.get("from_id") or 0)
    sender = _sender(peer_id)
    words = _MENTION.sub("", str(message.get("text") or "")).strip()
    payload = _rupor(message.get("payload"))
    if payload is not None:
        # A text button's press is the member's own message: which message showed the
        # button is not known, so nothing can be edited.
        return [ButtonPress(event_id, sender, payload)]
    # VK's "Начать" button sends {"command": "start"} (dev.vk.com/ru/api/bots/development/keyboard).
    starts = _decode(message.get("payload")) == {"command": "start"} or words.lower() in _START
    events: list[InboundEvent] = []
    if message.get("ref"):
        # The member came through an invite link vk.me/club...?ref=<organisation code>.
        events.append(Subscribed(event_id, sender, invite=str(message["ref"])))
        if starts or not (words or message.get("attachments") or message.get("geo")):
            return events
        event_id = f"{event_id}:text"  # the second event of one update needs its own id
    if starts:
        return [Command(event_id, sender, "start")]
    return events + [_said(event_id, sender, message, words)]


def _said(event_id: str, sender: Sender, message: dict[str, Any], words: str) -> InboundEvent:
    forwarded = bool(message.get("fwd_messages"))
    command = command_of(event_id, sender, words or _forwarded_words(message))
    if command is not None and sender.is_group and message.get("from_id"):
        command = replace(command, author_id=str(message["from_id"]))
    if command is not None:
        # A caption that is a command acts as one, as on Telegram; a forwarded one is
        # refused by core.access, never obeyed.
        return replace(command, forwarded=forwarded and not words) if forwarded else command
    found = attachments_of(message)
    text, files = combined(words, found)
    downloads = sent_files(message) if files else []
    sent = downloads[0] if downloads else None
    reply = message.get("reply_message") or {}
    author = message.get("from_id")
    return Text(
        event_id,
        sender,
        text,
        reply_to=message_ref_of(reply) if reply else None,
        author_id=str(author) if sender.is_group and author else None,
        attachment=files,
        caption=words if files else None,
        forwarded=forwarded,
        file_name=sent.name if sent else None,
        file_url=sent.url if sent else None,
        message_id=message_ref_of(message) if sender.is_group else None,
        files=_several(downloads),
    )


def _several(downloads: list[SentFile]) -> tuple[tuple[str, str, str], ...]:
    """Text.files of a message with more than one file (empty otherwise)."""
    parts = tuple((d.ref, d.url, d.name or "") for d in downloads if d.ref)
    return parts if len(parts) > 1 else ()


def _forwarded_words(message: dict[str, Any]) -> str:
    """The text of the first forwarded message, when the sender added none of their own."""
    forwarded = message.get("fwd_messages") or []
    first = forwarded[0] if forwarded and isinstance(forwarded[0], dict) else {}
    return str(first.get("text") or "").strip()


def message_ref_of(message: dict[str, Any]) -> str | None:
    if message.get("id"):
        return str(message["id"])
    cmid = message.get("conversation_message_id")
    return f"c{cmid}" if cmid else None


def _message_edit(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    """A message changed: its object is the message itself (not wrapped as message_new's).
    The new version of a text or a file's words, naming the message; an edited command or
    button press is not acted on a second time."""
    peer_id = int(obj.get("peer_id") or obj.get("from_id") or 0)
    words = _MENTION.sub("", str(obj.get("text") or "")).strip()
    found = _said(event_id, _sender(peer_id), obj, words)
    if not isinstance(found, Text) or _rupor(obj.get("payload")) is not None:
        return []
    return [replace(found, edited=True, message_id=message_ref_of(obj))]


def _message_allow(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    key = str(obj.get("key") or "")
    return [Subscribed(event_id, _sender(int(obj["user_id"])), invite=key or None)]


def _message_deny(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    return [Unsubscribed(event_id, _sender(int(obj["user_id"])), reason="unsubscribed")]


def _message_event(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    payload = _rupor(obj.get("payload"))
    if payload is None:
        return []
    sender = _sender(int(obj["peer_id"]))
    cmid = obj.get("conversation_message_id")  # of the message that shows the button
    presser = obj.get("user_id")
    return [ButtonPress(event_id, sender, payload, message_id=f"c{int(cmid)}" if cmid else None,
                        callback_id=str(obj.get("event_id")),
                        presser_id=str(presser) if presser else None)]


def _message_read(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    sender = _sender(int(obj.get("peer_id") or obj["from_id"]))
    read = str(int(obj["read_message_id"]))  # up_to: the core compares it as a number
    return [Receipt(event_id, sender, read, "read", up_to=True)]


def _ignored(event_id: str, obj: dict[str, Any]) -> list[InboundEvent]:
    return []


_TRANSLATORS: dict[str, Callable[[str, dict[str, Any]], list[InboundEvent]]] = {
    "message_new": _message_new,
    "message_edit": _message_edit,
    "message_allow": _message_allow,
    "message_deny": _message_deny,
    "message_event": _message_event,
    "message_read": _message_read,
    # Votes in VK polls are not used yet: members vote with callback buttons.
    "poll_vote_new": _ignored,
}


def translate(update: dict[str, Any]) -> list[InboundEvent]:
    """The inbound events of one VK event; unknown or malformed events give none."""
    translator = _TRANSLATORS.get(str(update.get("type")))
    obj = update.get("object")
    event_id = update.get("event_id")
    if translator is None or not isinstance(obj, dict) or not event_id:
        return []
    try:
        return translator(str(event_id), obj)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        # A field of the wrong type somewhere inside (fuzzing found strings for objects
        # and 1e999 for ids): acknowledged, so VK does not send it again, and skipped.
        log.warning("vk: malformed %.40s event %.100s skipped: %.200r", update.get("type"),
                    event_id, exc)
        return []


def button_event(update: dict[str, Any]) -> ButtonEvent | None:
    """The press to answer, for a message_event; None for any other event."""
    obj = update.get("object")
    if update.get("type") != "message_event" or not isinstance(obj, dict):
        return None
    try:
        return ButtonEvent(str(obj["event_id"]), int(obj["user_id"]), int(obj["peer_id"]))
    except (KeyError, TypeError, ValueError):
        return None
