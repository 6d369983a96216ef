"""The attachments of a VK message_new (messages_message.attachments[] and .geo, VK API
5.199 specs/vk/messages/objects.json) as inbox descriptions and "vk:<type>:<owner>_<id>"
references — the form messages.send's `attachment` parameter takes back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from bots.attachments import Attachment, describe, duration, reference

CHANNEL = "vk"


def _handle(item: dict[str, Any]) -> str | None:
    """<owner_id>_<id>[_<access_key>]: a private file needs its access key to be read."""
    owner, media_id = item.get("owner_id"), item.get("id")
    if owner is None or media_id is None:
        return None
    key = item.get("access_key")
    return f"{owner}_{media_id}_{key}" if key else f"{owner}_{media_id}"


def _doc_name(item: dict[str, Any]) -> str:
    name = str(item.get("title") or "")
    ext = str(item.get("ext") or "")
    if ext and name and not name.lower().endswith(f".{ext.lower()}"):
        name = f"{name}.{ext}"
    return name


def _doc(item: dict[str, Any]) -> Attachment:
    return Attachment(describe("document", _doc_name(item)),
                      reference(CHANNEL, "doc", _handle(item)))


def _timed(kind: str, vk_type: str) -> Callable[[dict[str, Any]], Attachment]:
    def found(item: dict[str, Any]) -> Attachment:
        return Attachment(
            describe(kind, duration(item.get("duration"))),
            reference(CHANNEL, vk_type, _handle(item)),
        )

    return found


def _plain(kind: str, vk_type: str) -> Callable[[dict[str, Any]], Attachment]:
    def found(item: dict[str, Any]) -> Attachment:
        return Attachment(describe(kind), reference(CHANNEL, vk_type, _handle(item)))

    return found


def _sticker(item: dict[str, Any]) -> Attachment:
    # VK stickers carry no emoji; the id lets staff find the picture.
    return Attachment(describe("sticker"), reference(CHANNEL, "sticker", item.get("sticker_id")))


def _wall(item: dict[str, Any]) -> Attachment:
    owner = item.get("owner_id", item.get("to_id", item.get("from_id")))
    handle = f"{owner}_{item['id']}" if owner is not None and item.get("id") else None
    return Attachment(describe("wall"), reference(CHANNEL, "wall", handle))


def _link(item: dict[str, Any]) -> Attachment:
    return Attachment(describe("link", str(item.get("url") or "")))


def _poll(item: dict[str, Any]) -> Attachment:
    return Attachment(describe("poll", str(item.get("question") or "")),
                      reference(CHANNEL, "poll", _handle(item)))


_TYPES: dict[str, Callable[[dict[str, Any]], Attachment]] = {
    "photo": _plain("photo", "photo"),
    "doc": _doc,
    "audio_message": _timed("voice", "audio_message"),
    "audio": _timed("audio", "audio"),
    "video": _timed("video", "video"),
    "sticker": _sticker,
    "wall": _wall,
    "link": _link,
    "poll": _poll,
}


class SentFile(NamedTuple):
    """Where a document or photo of a message can be downloaded, and its name."""

    url: str
    name: str | None  # a document's title with its extension; None for a photo
    ref: str | None = None  # "vk:doc:<owner>_<id>[_<key>]" / "vk:photo:..." (as attachments_of)


def sent_file(message: dict[str, Any]) -> SentFile | None:
    """The first doc or photo of the message (as `sent_files`)."""
    found = sent_files(message)
    return found[0] if found else None


def sent_files(message: dict[str, Any]) -> list[SentFile]:
    """Every doc (its `url`) and photo (its largest `sizes[].url`) of the message, in order;
    VK gives these URLs to the community in message_new (docs_doc.url, photos_photo_sizes)."""
    found = [_download(item) for item in message.get("attachments") or []
             if isinstance(item, dict)]
    return [item for item in found if item is not None]


def _download(item: dict[str, Any]) -> SentFile | None:
    vk_type = str(item.get("type") or "")
    body = item.get(vk_type)
    if not isinstance(body, dict):
        return None
    if vk_type == "doc" and isinstance(body.get("url"), str):
        return SentFile(body["url"], _doc_name(body) or None,
                        reference(CHANNEL, "doc", _handle(body)))
    if vk_type == "photo":
        sizes = [s for s in body.get("sizes") or [] if isinstance(s, dict) and s.get("url")]
        if sizes:
            largest = max(sizes, key=lambda s: int(s.get("width") or 0)
                          * int(s.get("height") or 0))
            return SentFile(str(largest["url"]), None, reference(CHANNEL, "photo", _handle(body)))
    return None


def attachments_of(message: dict[str, Any]) -> list[Attachment]:
    """Every attachment of the message in order, then its geo point; [] for a plain text."""
    found = [_one(item) for item in message.get("attachments") or [] if isinstance(item, dict)]
    geo = message.get("geo")
    if isinstance(geo, dict):
        found.append(_geo(geo))
    return found


def _one(item: dict[str, Any]) -> Attachment:
    vk_type = str(item.get("type") or "")
    body = item.get(vk_type)
    translate = _TYPES.get(vk_type)
    if vk_type == "geo":  # not in 5.199's attachment enum, but older clients sent it so
        return _geo(body if isinstance(body, dict) else {})
    if translate is None or not isinstance(body, dict):
        return Attachment(describe("other"))
    return translate(body)


def _geo(geo: dict[str, Any]) -> Attachment:
    point = geo.get("coordinates") or {}
    if isinstance(point, dict) and "latitude" in point and "longitude" in point:
        return Attachment(describe("location", f"{point['latitude']}, {point['longitude']}"))
    return Attachment(describe("location"))
