"""The scheduler's `announce_polls` in `rupor run`: the results of every closed poll, as one
Russian message (bots.poll_view), queued by core.polls.announce to the account that created
the poll, every press and admin account, the members if the poll was created with
"сообщить итоги участникам", and the bound staff chat(s) through `staff_post` (the suite
passes core.staff's StaffDesk.post; None: no staff chat).

The PNG bar chart goes first, to each of them: drawn once, stored once in `media` (the
replies name it, as staff answers name their files: core.sending.reply_files), so each
channel uploads it once and re-sends its handle. The text ends with "/results N" (the live
or final tallies again, with the chart, at any time: bots.chat.poll_results)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bots.poll_view import results_text, write_poll_chart
from core.campaigns.media import Leaflet, store_leaflet
from core.polls import texts
from core.polls.announce import StaffPost, announce, unannounced
from core.polls.results import PollResults, poll_results
from core.ports import MediaFile

log = logging.getLogger("rupor.chat")
CHART_FILE = "poll-{poll_id}.png"


class PollNotices:
    """Callable as the scheduler's `announce_polls`; `on_queued` wakes the senders."""

    def __init__(self, engine: AsyncEngine, tz: ZoneInfo,
                 on_queued: Callable[[], None] | None = None,
                 staff_post: StaffPost | None = None) -> None:
        self.engine, self.tz, self.on_queued = engine, tz, on_queued
        self.staff_post = staff_post

    async def __call__(self, now: datetime) -> None:
        for poll_id in await unannounced(self.engine):
            found = await poll_results(self.engine, poll_id)
            chart = await stored_chart(self.engine, found)
            told = await announce(self.engine, poll_id, announcement(found, self.tz), now,
                                  self.staff_post, chart, results_text(found, self.tz))
            if told is None:
                continue  # another process told them
            log.info("опрос №%s: итоги отправлены (%s сообщ.)", poll_id, told)
            if told and self.on_queued is not None:
                self.on_queued()


def announcement(results: PollResults, tz: ZoneInfo) -> str:
    """The results, and how the staff see them again (members have no /results)."""
    return results_text(results, tz) + "\n" + texts.CHART_HINT.format(poll_id=results.poll_id)


async def stored_chart(engine: AsyncEngine, results: PollResults) -> MediaFile:
    """The final results' PNG bar chart, kept once in `media` (every reply names it)."""
    def draw() -> bytes:
        with tempfile.TemporaryDirectory(prefix="rupor-poll-") as folder:
            path = Path(folder) / f"poll-{results.poll_id}.png"
            return write_poll_chart(results, path).read_bytes()

    png = await asyncio.to_thread(draw)  # matplotlib takes a while: not on the event loop
    name = CHART_FILE.format(poll_id=results.poll_id)
    return await store_leaflet(engine, Leaflet(name, "image/png", png))
