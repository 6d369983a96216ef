"""The scheduler's `announce_polls` in `rupor run`: the results of every closed poll, as one
Russian message (bots.poll_view), queued by core.polls.announce to the account that created
the poll, every press and admin account, the members if the poll was created with
"сообщить итоги участникам", and the bound staff chat(s) through `staff_post` (the suite
passes core.staff's StaffDesk.post; None: no staff chat).

The chart travels on demand: the message ends with "/results N", which answers with the
text and the PNG as a photo (bots.chat.poll_results)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bots.poll_view import results_text
from core.polls import texts
from core.polls.announce import StaffPost, announce, unannounced
from core.polls.results import PollResults, poll_results

log = logging.getLogger("rupor.chat")


class PollNotices:
    """Callable as the scheduler's `announce_polls`; `on_queued` wakes the senders."""

    def __init__(self, engine: AsyncEngine, tz: ZoneInfo,
                 on_queued: Callable[[], None] | None = None,
                 staff_post: StaffPost | None = None) -> None:
        self.engine, self.tz, self.on_queued = engine, tz, on_queued
        self.staff_post = staff_post

    async def __call__(self, now: datetime) -> None:
        for poll_id in await unannounced(self.engine):
            said = announcement(await poll_results(self.engine, poll_id), self.tz)
            told = await announce(self.engine, poll_id, said, now, self.staff_post)
            if told is None:
                continue  # another process told them
            log.info("опрос №%s: итоги отправлены (%s сообщ.)", poll_id, told)
            if told and self.on_queued is not None:
                self.on_queued()


def announcement(results: PollResults, tz: ZoneInfo) -> str:
    """The results and where the chart is."""
    return results_text(results, tz) + "\n" + texts.CHART_HINT.format(poll_id=results.poll_id)
