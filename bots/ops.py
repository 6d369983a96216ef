"""The operator's view of a running suite on its own server: /healthz (JSON; 200 when every
configured channel runs, 503 otherwise) and /metrics (Prometheus text format 0.0.4).

A scrape reads the database at most once every CACHE_S (two indexed counts: the backlog's
partial indexes and the inbox's unhandled index); the counters are the senders' own.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.prometheus import exposition
from bots.startup import ChannelState, ChannelStatus
from core.inbound.inbox import Inbox
from core.ports import EventHandler, InboundEvent
from core.sending.dispatch import ChannelSender
from core.sending.metrics import QUEUED, inbox_waiting, queue_depth
from core.storage.trouble import DATABASE

log = logging.getLogger("rupor.ops")

CACHE_S = 2.0  # scrapes closer together than this share one read of the queue


@dataclass
class InboundCount:
    """Updates that reached the inbox, per channel (webhooks and polling alike)."""

    per_channel: Counter[str] = field(default_factory=Counter)

    def counting(self, receive: EventHandler) -> EventHandler:
        async def counted(event: InboundEvent) -> None:
            await receive(event)
            self.per_channel[event.sender.channel] += 1
        return counted


@dataclass(frozen=True)
class Figures:
    """What the database says now; `error` when it could not be read."""

    depth: dict[tuple[str, str], int]
    inbox_waiting: int
    error: str | None = None


@dataclass
class Operations:
    """Reads the suite's live parts through the callables it is given (no import of it)."""

    reader: AsyncEngine
    status: Callable[[], Mapping[str, ChannelStatus]]
    senders: Mapping[str, ChannelSender]
    next_fire: Callable[[], datetime | None]
    inbox: Callable[[], Inbox | None]
    inbound: InboundCount = field(default_factory=InboundCount)
    clock: Callable[[], float] = time.monotonic
    _cached: tuple[float, Figures] | None = field(default=None, init=False)

    async def figures(self) -> Figures:
        now = self.clock()
        if self._cached is not None and now - self._cached[0] < CACHE_S:
            return self._cached[1]
        try:
            found = Figures(await queue_depth(self.reader), await inbox_waiting(self.reader))
        except Exception as exc:  # the database out of reach is exactly what health shows
            log.warning("состояние: база данных недоступна: %s", exc,
                        extra={"event": "health.database"})
            found = Figures({}, 0, error=type(exc).__name__)
        self._cached = (now, found)
        return found

    async def health(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body): ok — every channel runs; degraded — some; down — none, or
        the database cannot be read, or writes wait for it (core.storage.trouble)."""
        statuses, figures = self.status(), await self.figures()
        running = [n for n, s in statuses.items() if s.state == ChannelState.RUNNING]
        overall = ("ok" if len(running) == len(statuses) else
                   "degraded" if running else "down")
        trouble = DATABASE.problem  # a write waiting out a lock, a full disk, the server away
        if figures.error is not None or trouble is not None:
            overall = "down"
        inbox = self.inbox()
        fire = self.next_fire()
        body = {
            "status": overall,
            "channels": {n: {"state": s.state.value, "reason": s.reason}
                         for n, s in statuses.items()},
            "queue": {n: {q: figures.depth.get((n, q), 0) for q in QUEUED} for n in statuses},
            "scheduler": {"next_fire": fire.isoformat() if fire else None},
            "inbox": {"waiting": figures.inbox_waiting,
                      "handled": inbox.handled if inbox else 0,
                      "duplicates": inbox.duplicates if inbox else 0},
            "database": {"ok": figures.error is None and trouble is None,
                         "error": figures.error or (trouble and trouble.cause),
                         "detail": trouble.detail if trouble else None},
        }
        return (200 if overall == "ok" else 503), body

    async def healthz(self, _request: web.Request) -> web.Response:
        status, body = await self.health()
        return web.json_response(body, status=status,
                                 headers={"Cache-Control": "no-store"})

    async def metrics(self, _request: web.Request) -> web.Response:
        figures = await self.figures()
        text = exposition(self.status(), self.senders, self.inbound.per_channel,
                          figures.depth, figures.inbox_waiting, self.next_fire())
        return web.Response(text=text, content_type="text/plain",
                            charset="utf-8", headers={"Cache-Control": "no-store"})
