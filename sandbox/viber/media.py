"""Fetching the `media` URL of picture, video and file messages, as Viber does on accept.

Viber takes media by URL only and downloads it itself; a URL it cannot fetch fails the
message. Here the first fetch of each distinct URL happens when a message is accepted,
successes are cached for the emulator's life, failures are tried again next time.
"""

from __future__ import annotations

import asyncio

import aiohttp

from .errors import bad_data
from .knobs import ViberKnobs
from .stats import ViberStats
from .validation import MEDIA_TYPES, MessageDraft


class MediaFetcher:
    """Check that a message's media can be downloaded (status 3 badData when not)."""

    def __init__(self, knobs: ViberKnobs, stats: ViberStats) -> None:
        self._knobs = knobs
        self._stats = stats
        self._sizes: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._session: aiohttp.ClientSession | None = None

    def start(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    def fetched_urls(self) -> list[str]:
        return list(self._sizes)

    async def check(self, draft: MessageDraft) -> None:
        if not self._knobs.fetch_media or draft.type not in MEDIA_TYPES or draft.media is None:
            return
        size = await self._size_of(draft.media)
        if draft.type == "picture" and size > self._knobs.max_picture_bytes:
            raise bad_data(f"picture is too big ({size} > {self._knobs.max_picture_bytes} bytes)")

    async def _size_of(self, url: str) -> int:
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            if url in self._sizes:
                return self._sizes[url]
            self._stats.media_fetches += 1
            try:
                status, size = await self._download(url)
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                self._stats.media_fetch_failures += 1
                reason = type(error).__name__
                raise bad_data(f"failed to download media from {url}: {reason}") from None
            if status != 200:
                self._stats.media_fetch_failures += 1
                raise bad_data(f"failed to download media from {url}: HTTP {status}")
            self._sizes[url] = size
            return size

    async def _download(self, url: str) -> tuple[int, int]:
        assert self._session is not None, "the emulator is not started"
        timeout = aiohttp.ClientTimeout(total=self._knobs.media_timeout_s)
        limit = self._knobs.max_file_bytes + 1
        async with self._session.get(url, timeout=timeout) as response:
            if response.status != 200:
                return response.status, 0
            size = 0
            async for chunk in response.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size >= limit:
                    break
            return response.status, size
