"""Figures the management commands show that cost a count over the whole union (/audience)
or over every delivery of a run (/plan's progress): cached for a short time and recounted
in the background once stale, so an answer never waits for a count — only the first one
after the start does, when nothing is known yet. Concurrent askers share one count.

A figure served from the cache says when it was counted («данные на 16:05»), so a press
secretary never takes a figure half a minute old for this very moment's."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.audience.segments import count_segment, parse_segment, resolve_segment
from core.audience.stats import AudienceStats, audience_stats
from core.storage.models import Campaign, CampaignRun, Delivery

log = logging.getLogger("rupor.chat")

AUDIENCE_FRESH_S = 30.0  # the union changes by imports and subscriptions, not by the second
PROGRESS_FRESH_S = 3.0  # a run's progress moves fast: recounted at most every 3 s
AS_OF = "Данные на {time}."  # /audience served from the cache
PROGRESS_AS_OF = " (на {time})"  # /plan's progress of a run served from the cache

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class Counted(Generic[T]):
    value: T
    at: datetime  # when the count began (UTC)
    cached: bool  # counted before this answer (the answer says when)


class Cache(Generic[K, T]):
    """Figures per key, fresh for `fresh_s`; a stale one is served while it is recounted."""

    def __init__(self, fresh_s: float, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.fresh_s, self._clock, self._wall = fresh_s, clock, wall
        self._found: dict[K, tuple[float, datetime, T]] = {}
        self._counting: dict[K, asyncio.Task[tuple[float, datetime, T]]] = {}

    async def get(self, key: K, count: Callable[[], Awaitable[T]]) -> Counted[T]:
        found = self._found.get(key)
        if found is None:  # nothing known: this answer waits for the count
            _, at, value = await asyncio.shield(self.refresh(key, count))
            return Counted(value, at, cached=False)
        began, at, value = found
        if self._clock() - began >= self.fresh_s:
            self.refresh(key, count)  # in the background; this answer has the last figures
        return Counted(value, at, cached=True)

    def refresh(self, key: K, count: Callable[[], Awaitable[T]]
                ) -> asyncio.Task[tuple[float, datetime, T]]:
        """Start counting `key` unless a count of it is already under way."""
        task = self._counting.get(key)
        if task is None:
            task = asyncio.create_task(self._count(key, count), name=f"count-{key}")
            self._counting[key] = task
            task.add_done_callback(lambda done: self._done(key, done))
        return task

    def forget(self, keep: Collection[K]) -> None:
        """Drop the figures of keys no longer asked about (finished runs)."""
        for key in [k for k in self._found if k not in keep]:
            del self._found[key]

    async def _count(self, key: K, count: Callable[[], Awaitable[T]]
                     ) -> tuple[float, datetime, T]:
        began, at = self._clock(), self._wall()
        value = await count()
        self._found[key] = (began, at, value)
        return began, at, value

    def _done(self, key: K, task: asyncio.Task[tuple[float, datetime, T]]) -> None:
        if self._counting.get(key) is task:
            del self._counting[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("chat: counting %s failed", key, exc_info=task.exception())


@dataclass(frozen=True)
class AudienceFigures:
    stats: AudienceStats
    young: int  # role:young_teacher
    staff: int  # role:staff


async def count_audience(reader: AsyncEngine, channels: Sequence[str]) -> AudienceFigures:
    """What /audience shows: members, reachable per channel and district, two roles."""
    async with AsyncSession(reader) as session:
        stats = await audience_stats(session, list(channels))
        counts = {}
        for key, expression in (("young", "role:young_teacher"), ("staff", "role:staff")):
            resolved = await resolve_segment(session, parse_segment(expression))
            counts[key] = (await count_segment(session, resolved, [])).members
    return AudienceFigures(stats, counts["young"], counts["staff"])


async def count_progress(reader: AsyncEngine, campaign_id: int) -> tuple[int, int]:
    """(deliveries sent, deliveries in all) over the campaign's runs, messengers only: the
    run's rows through the (run_id, contact_id) index — no index is added for it, since
    one on the status would be rewritten by every recorded result."""
    async with reader.connect() as conn:
        rows = (await conn.execute(
            select(Delivery.status, func.count()).join(CampaignRun,
                                                       CampaignRun.id == Delivery.run_id)
            .where(CampaignRun.campaign_id == campaign_id, Delivery.channel.is_not(None))
            .group_by(Delivery.status))).all()
    total = sum(int(n) for _, n in rows)
    done = sum(int(n) for s, n in rows if s in ("sent", "delivered", "read"))
    return done, total


async def running_campaigns(reader: AsyncEngine) -> list[int]:
    """Campaigns sending once now (what /plan shows with its progress)."""
    async with reader.connect() as conn:
        return list((await conn.scalars(select(Campaign.id).where(
            Campaign.status == "running", Campaign.cron.is_(None)))).all())


@dataclass
class Figures:
    """The chat service's caches (one per process: every account shares them)."""

    audience: Cache[tuple[str, ...], AudienceFigures] = field(
        default_factory=lambda: Cache(AUDIENCE_FRESH_S))
    progress: Cache[int, tuple[int, int]] = field(
        default_factory=lambda: Cache(PROGRESS_FRESH_S))
    warming: asyncio.Task[None] | None = None

    def warm(self, reader: AsyncEngine, channels: tuple[str, ...]) -> None:
        """Count /audience's figures now, in the background (at the service's start), so
        even the first /audience is answered from them."""
        self.audience.refresh(channels, lambda: count_audience(reader, channels))
        self.warming = asyncio.create_task(self._warm_progress(reader), name="count-progress")

    async def _warm_progress(self, reader: AsyncEngine) -> None:
        try:
            for campaign_id in await running_campaigns(reader):
                count = partial(count_progress, reader, campaign_id)
                await self.progress.refresh(campaign_id, count)
        except Exception:  # the first /plan counts then
            log.exception("chat: counting the running campaigns' progress failed")
