"""Leaflets and pictures kept once in the database (by content hash), and each channel's
reusable handle for them (Telegram file_id, VK doc, Viber URL on our own server)."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.campaigns.content import ContentError
from core.ports import MediaFile
from core.storage.models import Media, MediaRef

MIB = 1024 * 1024
# What Rupor keeps at all: the most any channel takes (VK documents, 200 MB). Each target
# channel's own limit (Capabilities.max_file_bytes, max_image_bytes) is checked per campaign
# (core.campaigns.content.check).
MAX_MEDIA_BYTES = 200 * MIB
# A file's type is what its first bytes say, not its name: a text file renamed fake.pdf
# must not go out as a leaflet.
SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
LEAFLET_TYPES = set(SIGNATURES)
SUPPORTED = "поддерживаются PDF, JPEG и PNG"


@dataclass(frozen=True)
class Leaflet:
    """A file read and checked, not stored yet."""

    filename: str
    mime: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def described(self, media_id: int = 0) -> MediaFile:
        return MediaFile(media_id, self.sha256, self.filename, self.mime, len(self.content))


def sniff(content: bytes) -> str | None:
    """The supported type the bytes begin with (PDF, JPEG, PNG), or None."""
    return next((mime for mime, magic in SIGNATURES.items() if content.startswith(magic)), None)


def _mismatch(name: str, named: str, found: str | None) -> str:
    if found is None:
        what = "его содержимое не PDF, не JPEG и не PNG (возможно, файлу сменили расширение)"
    else:
        what = f"по содержимому это {TYPE_NAMES[found]}, исправьте расширение"
    return f"Файл {name} не является {TYPE_NAMES[named]}: {what}; {SUPPORTED}."


def read_leaflet(path: Path) -> Leaflet:
    """The file, if its bytes are a PDF, JPEG or PNG as its name says (ContentError if not)."""
    if path.stat().st_size > MAX_MEDIA_BYTES:
        raise ContentError(
            f"Файл {path.name} больше {MAX_MEDIA_BYTES // MIB} МБ — мессенджеры его не примут."
        )
    named = mimetypes.guess_type(path.name)[0]
    if named not in LEAFLET_TYPES:
        raise ContentError(f"Файл {path.name}: {SUPPORTED}.")
    content = path.read_bytes()
    found = sniff(content)
    if found != named:
        raise ContentError(_mismatch(path.name, named, found))
    return Leaflet(path.name, named, content)


async def store_leaflet(engine: AsyncEngine, leaflet: Leaflet) -> MediaFile:
    """Keep a checked file in the database once (by content hash) and describe it."""
    digest = leaflet.sha256
    async with engine.begin() as conn:
        media_id = (
            await conn.execute(select(Media.id).where(Media.sha256 == digest))
        ).scalar_one_or_none()
        if media_id is None:
            media_id = (
                await conn.execute(
                    insert(Media)
                    .values(
                        sha256=digest, filename=leaflet.filename, mime=leaflet.mime,
                        size=len(leaflet.content), content=leaflet.content,
                    )
                    .returning(Media.id)
                )
            ).scalar_one()
    return leaflet.described(int(media_id))


async def store_media(engine: AsyncEngine, path: Path) -> MediaFile:
    """Check a leaflet (read_leaflet) and keep it (store_leaflet)."""
    return await store_leaflet(engine, read_leaflet(path))


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
