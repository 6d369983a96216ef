"""Files in replies (a staff member's photo or document answering a member): the reply's
content names the file — a stored media row (sent by this channel's handle once there is
one, else uploaded as the channel needs: Telegram by the first send, VK to the dialog, Viber
by our own /media URL) or, with media_id 0, only a platform handle of the same channel (a
Telegram file_id re-sent as it is)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.campaigns.media import media_file, save_media_ref
from core.ports import DeliveryResult, MediaFile, Outbound


def media_json(media: MediaFile) -> dict[str, Any]:
    return {"media_id": media.media_id, "sha256": media.sha256, "filename": media.filename,
            "mime": media.mime, "size": media.size, "ref": media.ref}


async def reply_files(engine: AsyncEngine, channel: str,
                      contents: Iterable[dict[str, Any]]) -> dict[int, MediaFile]:
    """The stored files the replies name, with this channel's handle when it has one."""
    ids = {int(c["media"]["media_id"]) for c in contents if c.get("media")} - {0}
    if not ids:
        return {}
    found: dict[int, MediaFile] = {}
    async with AsyncSession(engine) as session:
        for media_id in sorted(ids):
            media = await media_file(session, media_id, channel)
            if media is not None:
                found[media_id] = media
    return found


def media_of(content: dict[str, Any], files: dict[int, MediaFile]) -> MediaFile | None:
    spec = content.get("media")
    if not spec:
        return None
    if int(spec["media_id"]):
        return files.get(int(spec["media_id"]))
    return MediaFile(0, str(spec["sha256"]), str(spec["filename"]), str(spec["mime"]),
                     int(spec["size"]), spec.get("ref"))


async def keep_ref(engine: AsyncEngine, channel: str, message: Outbound,
                   result: DeliveryResult) -> None:
    """A send that uploaded a stored file leaves its handle for the next reply."""
    media = message.media
    if media is not None and media.media_id and media.ref is None and result.media_ref:
        await save_media_ref(engine, media.media_id, channel, result.media_ref)
