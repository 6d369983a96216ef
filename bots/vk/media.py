"""Leaflets uploaded once per file and attached to every message after that.

VK uploads need a dialog (docs.getMessagesUploadServer(type=doc, peer_id) and
photos.getMessagesUploadServer(peer_id)), so the first send uploads for its first recipient
(PLATFORMS.md; that one upload serves every peer is [U], and what the emulator does).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bots.vk.api import VkApiPool
from core.ports import MediaFile


class UploadRefused(Exception):
    """The upload server refused the file (type, size); retrying will not help."""


class MediaRefs:
    """Attachment refs ("doc-1_2", "photo-1_3") by sha256; one upload per file at a time."""

    def __init__(self, api: VkApiPool) -> None:
        self._api = api
        self._refs: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def known(self, media: MediaFile) -> str | None:
        return media.ref or self._refs.get(media.sha256)

    async def ref_for(self, media: MediaFile, peer_id: int) -> tuple[str, bool]:
        """The attachment and whether this call uploaded it; concurrent first sends wait
        for one upload and reuse it."""
        known = self.known(media)
        if known:
            return known, False
        lock = self._locks.setdefault(media.sha256, asyncio.Lock())
        async with lock:
            known = self.known(media)
            if known:
                return known, False
            ref = await self._upload(media, peer_id)
            self._refs[media.sha256] = ref
            return ref, True

    async def _upload(self, media: MediaFile, peer_id: int) -> str:
        if media.content is None:
            raise UploadRefused(f"no content for {media.filename}")
        if media.is_image:
            return await self._photo(media, peer_id)
        return await self._doc(media, peer_id)

    async def _doc(self, media: MediaFile, peer_id: int) -> str:
        server = await self._api.call(
            "docs.getMessagesUploadServer", {"type": "doc", "peer_id": peer_id}
        )
        receipt = await self._post(server["upload_url"], "file", media)
        saved = await self._api.call(
            "docs.save", {"file": receipt["file"], "title": media.filename}
        )
        doc = saved["doc"]
        return f"doc{doc['owner_id']}_{doc['id']}"

    async def _photo(self, media: MediaFile, peer_id: int) -> str:
        server = await self._api.call("photos.getMessagesUploadServer", {"peer_id": peer_id})
        receipt = await self._post(server["upload_url"], "photo", media)
        saved = await self._api.call(
            "photos.saveMessagesPhoto",
            {"photo": receipt["photo"], "server": receipt["server"], "hash": receipt["hash"]},
        )
        photo = saved[0]
        return f"photo{photo['owner_id']}_{photo['id']}"

    async def _post(self, url: str, field: str, media: MediaFile) -> dict[str, Any]:
        assert media.content is not None
        answer = await self._api.post_file(url, field, media.filename, media.content, media.mime)
        if not isinstance(answer, dict) or "error" in answer:
            detail = answer.get("error") if isinstance(answer, dict) else answer
            raise UploadRefused(f"upload of {media.filename} refused: {detail}")
        if field == "photo" and answer.get("photo") in (None, "", "[]"):
            raise UploadRefused(f"upload of {media.filename} refused: not an image VK reads")
        return answer
