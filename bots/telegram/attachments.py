"""The non-text part of a Telegram message (photo, document, voice, sticker, …) as an
inbox description and a file_id reference (Bot API, Message object)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.types import Message

from bots.attachments import Attachment, describe, duration, reference

CHANNEL = "telegram"


def _file(kind: str, detail: Callable[[Any], str] = lambda _: "") -> Callable[[Any], Attachment]:
    def found(value: Any) -> Attachment:
        return Attachment(describe(kind, detail(value)), reference(CHANNEL, kind, value.file_id))

    return found


def _photo(sizes: list[Any]) -> Attachment:
    # One photo comes as several sizes; the largest is the one worth reading.
    largest = max(sizes, key=lambda size: size.width * size.height)
    return Attachment(describe("photo"), reference(CHANNEL, "photo", largest.file_id))


def _location(value: Any) -> Attachment:
    return Attachment(describe("location", f"{value.latitude}, {value.longitude}"))


def _contact(value: Any) -> Attachment:
    name = " ".join(part for part in (value.first_name, value.last_name) if part)
    return Attachment(describe("contact", ", ".join(p for p in (name, value.phone_number) if p)))


def _poll(value: Any) -> Attachment:
    return Attachment(describe("poll", value.question or ""))


# Checked in this order: an animation message also carries `document` (Bot API: "for
# backward compatibility, when this field is set, the document field will also be set").
_KINDS: tuple[tuple[str, Callable[[Any], Attachment]], ...] = (
    ("photo", _photo),
    ("animation", _file("animation")),
    ("document", _file("document", lambda doc: doc.file_name or "")),
    ("voice", _file("voice", lambda voice: duration(voice.duration))),
    ("audio", _file("audio", lambda audio: duration(audio.duration))),
    ("video", _file("video", lambda video: duration(video.duration))),
    ("video_note", _file("video_note", lambda note: duration(note.duration))),
    ("sticker", _file("sticker", lambda sticker: sticker.emoji or "")),
    ("location", _location),
    ("contact", _contact),
    ("poll", _poll),
)


def attachment_of(message: Message) -> Attachment | None:
    """What the message carries besides text, or None (a plain text, a service message)."""
    for field, found in _KINDS:
        value = getattr(message, field, None)
        if value:
            return found(value)
    return None
