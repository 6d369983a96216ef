"""A staff answer's photos and documents (every file of a VK message with several), made
ready for the member's messenger (after the inbox's commit, never inside it): a Telegram file
re-sent to a Telegram member by its file_id; otherwise fetched through the staff chat's
adapter (core.ports.FileFetcher, as /post fetches leaflets) and kept once in the media
table, so VK uploads it to the member's dialog and Viber downloads it from our own /media
URL (bots.webhooks), as campaign files go."""

from __future__ import annotations

import mimetypes
from typing import NamedTuple, cast

from bots.chat import staff_texts
from bots.chat.turn import ChatContext, NotReady
from core.campaigns.media import MAX_MEDIA_BYTES, Leaflet, sniff, store_leaflet
from core.ports import FileFetcher, FileUnavailable, MediaFile, Text

PICTURES = frozenset({"photo"})  # Telegram and VK name a picture so
FILES = PICTURES | {"document", "doc"}
PHOTO_NAME = "фото.jpg"
ANY_FILE = "application/octet-stream"


class FileNotCarried(Exception):
    """The file cannot go to the member; the message says why (Russian)."""


class FilePart(NamedTuple):
    """One file of a message: its reference, where it downloads from, its name."""

    ref: str
    url: str | None
    name: str | None


def file_parts(event: Text) -> list[FilePart]:
    """Every file of the message: each of several (a VK message), else its one file."""
    if event.files:
        return [FilePart(ref, url or None, name or None) for ref, url, name in event.files]
    if event.attachment is None:
        return []
    return [FilePart(event.attachment.split()[0], event.file_url, event.file_name)]


async def answer_files(ctx: ChatContext, event: Text, member_channel: str
                       ) -> list[MediaFile]:
    """Every file of the message for `member_channel`; FileNotCarried at the first that
    cannot go (a voice message, a file the platform does not give)."""
    return [await part_file(ctx, part, member_channel) for part in file_parts(event)]


async def part_file(ctx: ChatContext, part: FilePart, member_channel: str) -> MediaFile:
    """One file made ready for `member_channel`."""
    channel, kind, handle = part.ref.split(":", 2)
    if kind not in FILES:
        raise FileNotCarried(staff_texts.FILE_KIND)
    name = part.name or (PHOTO_NAME if kind in PICTURES else "файл")
    if channel == member_channel == "telegram":  # file_ids are valid for the same bot
        mime = "image/jpeg" if kind in PICTURES else ANY_FILE  # a document stays one
        return MediaFile(0, f"telegram:{handle}", name, mime, 0, handle)
    content = await _fetch(ctx, channel, part.ref, part.url)
    if kind in PICTURES:
        mime = sniff(content) or "image/jpeg"
    else:
        mime = mimetypes.guess_type(name)[0] or sniff(content) or ANY_FILE
    return await store_leaflet(ctx.engine, Leaflet(name, mime, content))


async def _fetch(ctx: ChatContext, channel: str, ref: str, url: str | None) -> bytes:
    source = ctx.channels.get(channel)
    if source is None:
        raise NotReady(channel)
    if not hasattr(source, "fetch_file"):
        raise FileNotCarried(staff_texts.FILE_KIND)
    try:
        content = await cast(FileFetcher, source).fetch_file(ref, url)
    except FileUnavailable as error:
        raise FileNotCarried(staff_texts.FILE_TROUBLE.format(reason=error)) from error
    if len(content) > MAX_MEDIA_BYTES:
        raise FileNotCarried(staff_texts.FILE_TROUBLE.format(reason="файл слишком большой"))
    return content
