"""The media of a Viber "message" callback (picture, video, file, sticker, location,
contact; REST Bot API, Callbacks → Message types) as an inbox description and a
"viber:<type>:<media url>" reference. Viber's media URLs are temporary [U how long]:
whoever wants the file should fetch it soon."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bots.attachments import Attachment, describe, duration, reference

CHANNEL = "viber"


def _picture(message: Mapping[str, Any]) -> Attachment:
    return Attachment(describe("photo"), reference(CHANNEL, "picture", message.get("media")))


def _video(message: Mapping[str, Any]) -> Attachment:
    return Attachment(describe("video", duration(message.get("duration"))),
                      reference(CHANNEL, "video", message.get("media")))


def _file(message: Mapping[str, Any]) -> Attachment:
    return Attachment(describe("document", str(message.get("file_name") or "")),
                      reference(CHANNEL, "file", message.get("media")))


def _sticker(message: Mapping[str, Any]) -> Attachment:
    # Viber stickers carry no emoji, only an id of its sticker catalogue.
    return Attachment(describe("sticker"), reference(CHANNEL, "sticker", message.get("sticker_id")))


def _location(message: Mapping[str, Any]) -> Attachment:
    point = message.get("location")
    if isinstance(point, Mapping) and "lat" in point and "lon" in point:
        return Attachment(describe("location", f"{point['lat']}, {point['lon']}"))
    return Attachment(describe("location"))


def _contact(message: Mapping[str, Any]) -> Attachment:
    card = message.get("contact")
    card = card if isinstance(card, Mapping) else {}
    detail = ", ".join(str(card[k]) for k in ("name", "phone_number") if card.get(k))
    return Attachment(describe("contact", detail))


_TYPES: dict[str, Callable[[Mapping[str, Any]], Attachment]] = {
    "picture": _picture,
    "video": _video,
    "file": _file,
    "sticker": _sticker,
    "location": _location,
    "contact": _contact,
}


def attachment_of(message: Mapping[str, Any]) -> Attachment | None:
    """The media of a message callback's `message` object; None for text and url messages
    (a url is text the member sent) and for types Rupor does not know."""
    translate = _TYPES.get(str(message.get("type")))
    return translate(message) if translate is not None else None
