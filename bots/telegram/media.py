"""Leaflets by file_id: Telegram has no upload-only call, so the first send uploads the file
and every later send reuses the file_id it returned (file_ids are valid per bot)."""

from __future__ import annotations

import asyncio

from aiogram.types import Message

from core.ports import MediaFile

# sendPhoto takes images up to 10 MB; bigger ones travel as documents (Bot API, sendPhoto).
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def as_photo(media: MediaFile) -> bool:
    return media.is_image and media.size <= MAX_PHOTO_BYTES


def file_id_of(message: Message) -> str | None:
    """The reusable handle of the file a send carried (the largest size of a photo)."""
    if message.document is not None:
        return message.document.file_id
    if message.photo:
        return max(message.photo, key=lambda size: size.width * size.height).file_id
    return None


class LeafletFiles:
    """The file_ids this bot holds, and one lock per file so that only one send uploads it."""

    def __init__(self) -> None:
        self._refs: dict[str, str] = {}
        self._refused: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def ref(self, media: MediaFile) -> str | None:
        """The file_id to send by: one this process obtained, else the one the core stored."""
        known = self._refs.get(media.sha256)
        if known is not None:
            return known
        if media.ref is not None and media.ref not in self._refused:
            return media.ref
        return None

    def lock(self, media: MediaFile) -> asyncio.Lock:
        return self._locks.setdefault(media.sha256, asyncio.Lock())

    def remember(self, media: MediaFile, ref: str) -> None:
        self._refs[media.sha256] = ref

    def refuse(self, media: MediaFile, ref: str) -> None:
        """Telegram no longer accepts `ref`: the next send uploads the file again."""
        self._refused.add(ref)
        if self._refs.get(media.sha256) == ref:
            del self._refs[media.sha256]
