"""Rupor's outbound parts as Viber message bodies, built with viberbot's message classes.

Media goes by URL only (Viber downloads it): images as picture messages, everything else
as file messages (size and file_name required). Buttons become a Viber keyboard.
"""

from __future__ import annotations

from typing import Any

from viberbot.api.messages import FileMessage, KeyboardMessage, PictureMessage, TextMessage
from viberbot.api.messages.message import Message

from core.campaigns.content import render_plain
from core.ports import Button, MediaFile, Outbound, OutboundPoll, Span

from .capabilities import MAX_BUTTONS
from .polls import poll_tracking

PAYLOAD_PREFIX = "rupor:"
START_PREFIX = "rupor:start:"
PICTURE_TYPES = frozenset({"image/jpeg", "image/png"})
# Picture messages take JPEG/PNG up to 1 MB (REST Bot API, picture message); a larger
# image still reaches the member as a file message.
MAX_PICTURE_BYTES = 1024 * 1024
GRID_COLUMNS = 6  # a keyboard row is six columns wide (keyboards doc)


class Unsendable(ValueError):
    """A part Viber cannot carry as it is; every recipient gets INVALID with this reason."""


def reply_button(text: str, action_body: str, columns: int = GRID_COLUMNS) -> dict[str, Any]:
    # Silent: the press is not shown as the member's message in the chat (keyboards doc).
    return {
        "ActionType": "reply",
        "ActionBody": action_body,
        "Text": text,
        "Silent": True,
        "Columns": columns,
        "Rows": 1,
    }


def _button(button: Button, columns: int) -> dict[str, Any]:
    if button.url:
        return {
            "ActionType": "open-url",
            "ActionBody": button.url,
            "Text": button.text,
            "Columns": columns,
            "Rows": 1,
        }
    if button.payload is None:
        raise Unsendable(f"button {button.text!r} has neither a link nor a payload")
    return reply_button(button.text, PAYLOAD_PREFIX + button.payload, columns)


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    """A Viber keyboard with the rows laid out on the six-column grid; None without buttons."""
    buttons = [
        _button(button, max(1, GRID_COLUMNS // len(row))) for row in rows for button in row
    ]
    if not buttons:
        return None
    if len(buttons) > MAX_BUTTONS:
        raise Unsendable(f"{len(buttons)} buttons: a Viber keyboard holds at most {MAX_BUTTONS}")
    return {"Type": "keyboard", "Buttons": buttons}


def _media_message(media: MediaFile, url: str, board: dict[str, Any] | None) -> Message:
    if media.mime in PICTURE_TYPES and media.size <= MAX_PICTURE_BYTES:
        return PictureMessage(media=url, text="", keyboard=board)
    return FileMessage(media=url, size=media.size, file_name=media.filename, keyboard=board)


def message_body(msg: Outbound, media_url: str | None) -> dict[str, Any]:
    """The message fields of one part (no sender, no receivers); raises Unsendable."""
    text = render_plain(msg.text)
    board = keyboard(msg.buttons)
    message: Message
    if msg.media is not None:
        if text.strip() and not msg.caption_separate:
            raise Unsendable("a Viber file message has no caption: send the text as its own part")
        if media_url is None:
            raise Unsendable("the leaflet has no public URL for Viber to download")
        message = _media_message(msg.media, media_url, board)
    elif text.strip():
        message = TextMessage(text=text, keyboard=board)
    elif board is not None:
        message = KeyboardMessage(keyboard=board)
    else:
        raise Unsendable("nothing to send: no text, file or buttons")
    # viberbot emits nulls for absent optional fields (e.g. "thumbnail": null).
    body = {key: value for key, value in message.to_dict().items() if value is not None}
    tracking = poll_tracking(msg.buttons)  # a poll's buttons: typed numbers vote too
    if tracking is not None:
        body["tracking_data"] = tracking
    return body


def poll_part(poll: OutboundPoll) -> Outbound:
    """Viber has no polls: the question with one reply button per option, one per row."""
    rows = tuple(
        (Button(option, payload=f"vote:{poll.poll_id}:{index}"),)
        for index, option in enumerate(poll.options)
    )
    return Outbound(key=poll.key, text=(Span(poll.question),), buttons=rows)


def welcome_body(sender: dict[str, str], text: str, button: str, context: str) -> dict[str, Any]:
    """The one message Viber lets a bot put in its answer to conversation_started."""
    board = {"Type": "keyboard", "Buttons": [reply_button(button, START_PREFIX + context)]}
    return {"sender": sender, **TextMessage(text=text, keyboard=board).to_dict()}
