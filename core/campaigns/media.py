"""Leaflets and pictures kept once in the database (by content hash), and each channel's
reusable handle for them (Telegram file_id, VK doc, Viber URL on our own server)."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.campaigns.content import ContentError
from core.ports import MediaFile
from core.storage.models import Media, MediaRef

MAX_MEDIA_BYTES = 50 * 1024 * 1024  # Telegram's upload limit for bots
LEAFLET_TYPES = {"application/pdf", "image/jpeg", "image/png"}


async def store_media(engine: AsyncEngine, path: Path) -> MediaFile:
    """Keep a leaflet in the database once (by content hash) and describe it."""
    data = path.read_bytes()
    if len(data) > MAX_MEDIA_BYTES:
        raise ContentError(f"Файл {path.name} больше 50 МБ — мессенджеры его не примут.")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime not in LEAFLET_TYPES:
        raise ContentError(f"Файл {path.name}: отправить можно PDF, JPEG или PNG.")
    digest = hashlib.sha256(data).hexdigest()
    async with engine.begin() as conn:
        media_id = (
            await conn.execute(select(Media.id).where(Media.sha256 == digest))
        ).scalar_one_or_none()
        if media_id is None:
            media_id = (
                await conn.execute(
                    insert(Media)
                    .values(
                        sha256=digest, filename=path.name, mime=mime, size=len(data), content=data
                    )
                    .returning(Media.id)
                )
            ).scalar_one()
    return MediaFile(int(media_id), digest, path.name, mime, len(data))


async def media_file(session: AsyncSession, media_id: Any, channel: str) -> MediaFile | None:
    if media_id is None:
        return None
    row = (await session.execute(select(Media).where(Media.id == int(media_id)))).scalar_one()
    ref = (
        await session.execute(
            select(MediaRef.ref).where(MediaRef.media_id == row.id, MediaRef.channel == channel)
        )
    ).scalar_one_or_none()
    return MediaFile(row.id, row.sha256, row.filename, row.mime, row.size, ref, row.content)


async def save_media_ref(engine: AsyncEngine, media_id: int, channel: str, ref: str) -> None:
    async with engine.begin() as conn:
        exists = (
            await conn.execute(
                select(MediaRef.ref).where(
                    MediaRef.media_id == media_id, MediaRef.channel == channel
                )
            )
        ).scalar_one_or_none()
        if exists is None:
            await conn.execute(insert(MediaRef).values(media_id=media_id, channel=channel, ref=ref))


async def media_by_sha(engine: AsyncEngine, sha256: str) -> tuple[str, str, bytes] | None:
    """(filename, mime, content) of a stored file, for our own media server."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(Media.filename, Media.mime, Media.content).where(Media.sha256 == sha256)
            )
        ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])
