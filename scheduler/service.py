"""The scheduler `rupor run` starts: APScheduler's AsyncIOScheduler with one in-memory job
per scheduled campaign, rebuilt from the campaigns table at start and whenever that table
changes (a cheap fingerprint read every `poll_s`, so a schedule made by the CLI or another
process is followed within seconds). The database is the only truth: a job only wakes the
campaign up, and what it does then is `core.sending.fire.fire`, idempotent per (campaign,
slot) — two processes running this never start one slot twice.

At start (and on every rebuild) a slot that came due while nothing ran is fired at once:
started within the lateness limit, else recorded missed and `notify` is called; a slot held
by quiet hours is told about once, when the hold starts (scheduler.notices).

Polls ride on the same beat: at start and every `poll_s`, `core.polls.closing.tick` closes
the polls past their deadline (a deadline that passed while Rupor was down closes at
start) and queues the reminders that came due; a cheap read when nothing is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from core.campaigns.schedule import Rules, default_rules, rules_for, start_at
from core.campaigns.scheduled import ScheduledCampaign, fingerprint, scheduled_campaigns
from core.config import SchedulerSettings
from core.polls.closing import tick as polls_tick
from core.sending.fire import Fired, fire
from core.storage.trouble import cause_of
from scheduler.notices import (
    HeldRun,
    MissedRun,
    Notice,
    first_hold_notice,
    log_notice,
    log_started,
)

log = logging.getLogger("rupor.scheduler")

POLL_S = 1.0  # how often the campaigns table is checked for changes by anyone
Clock = Callable[[], datetime]
Notify = Callable[[Notice], Awaitable[None]]
# Tells the results of every closed poll not yet told (the chat layer's poll notices).
AnnouncePolls = Callable[[datetime], Awaitable[None]]


def utc_clock() -> datetime:
    return datetime.now(UTC)


def settings_rules(settings: SchedulerSettings) -> Rules:
    """The [scheduler] settings as the rules of campaigns that set none of their own."""
    return default_rules(settings.timezone, settings.quiet_hours,
                         settings.lateness_limit_minutes)


class SchedulerService:
    """Follows every scheduled campaign; `start()` inside the event loop, `stop()` to end."""

    def __init__(
        self, engine: AsyncEngine, defaults: Rules, channels: Sequence[str], *,
        clock: Clock = utc_clock, notify: Notify = log_notice, poll_s: float = POLL_S,
        announce_polls: AnnouncePolls | None = None,
    ) -> None:
        self.engine, self.defaults, self.channels = engine, defaults, list(channels)
        self.clock, self.notify, self.poll_s = clock, notify, poll_s
        self.announce_polls = announce_polls
        self.jobs = AsyncIOScheduler(timezone=UTC)
        self.wake_at: dict[int, datetime] = {}  # campaign id -> when its job fires
        self._seen: tuple[Any, ...] | None = None
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Sweep what came due while nothing ran, arm the jobs, follow changes."""
        await self.rebuild()
        await self.polls_due()
        self.jobs.start()
        self._poller = asyncio.create_task(self._poll(), name="scheduler-poll")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self.jobs.running:
            self.jobs.shutdown(wait=False)

    async def rebuild(self) -> None:
        """Jobs for exactly the campaigns the database says are scheduled now."""
        async with self._lock:
            self._seen = await fingerprint(self.engine)
            campaigns = await scheduled_campaigns(self.engine)
            for gone in set(self.wake_at) - {c.id for c in campaigns}:
                self._disarm(gone)
            for campaign in campaigns:
                await self._follow(campaign)

    async def changed(self) -> bool:
        """Whether the campaigns table differs from the last rebuild (rebuilding if so)."""
        if await fingerprint(self.engine) == self._seen:
            return False
        await self.rebuild()
        return True

    async def wake(self, campaign_id: int) -> None:
        """A job's work: look at one campaign afresh."""
        async with self._lock:
            found = [c for c in await scheduled_campaigns(self.engine) if c.id == campaign_id]
            if found:
                await self._follow(found[0])
            else:
                self._disarm(campaign_id)

    async def polls_due(self) -> None:
        """Close the polls past their deadline and send the reminders that came due."""
        from core.polls import texts
        from core.polls.results import poll_results

        done = await polls_tick(self.engine, self.clock(), self.defaults.tz)
        for poll_id in done.closed:
            found = await poll_results(self.engine, poll_id)
            log.info("планировщик: %s", texts.CLOSED_LOG.format(
                poll_id=poll_id, voters=found.voters, reached=found.reached))
        for poll_id, count in done.reminded:
            log.info("планировщик: %s", texts.REMINDED_LOG.format(poll_id=poll_id, count=count))
        if self.announce_polls is not None:  # also polls closed by `rupor poll close`
            await self.announce_polls(self.clock())

    async def _follow(self, campaign: ScheduledCampaign) -> None:
        """Fire the slot that came due, then arm the job for the next look (or none)."""
        from scheduler.slots import due_and_next

        rules = rules_for(campaign.timezone, campaign.quiet_hours, campaign.lateness_limit_s,
                          self.defaults)
        now = self.clock()
        due, upcoming = due_and_next(campaign, rules.tz.key, now)
        look: datetime | None = None if upcoming is None else start_at(upcoming, rules)
        if due is not None:
            fired = await fire(self.engine, campaign.id, due, now, defaults=self.defaults,
                               channels=self.channels)
            await self._tell(campaign.id, due, rules, fired)
            if fired.until is not None:
                look = fired.until
        self._arm(campaign.id, look)

    async def _tell(self, campaign_id: int, due: datetime, rules: Rules, fired: Fired) -> None:
        """Notify once: a missed slot (only this call recorded it), a held one (only the
        first call of any process), each in the campaign's time zone."""
        slot = due.astimezone(rules.tz)
        if fired.outcome == "missed":
            await self.notify(MissedRun(campaign_id, slot, fired.late_by or timedelta(0),
                                        rules.lateness_limit))
        elif fired.outcome == "held" and fired.until is not None:
            if await first_hold_notice(self.engine, campaign_id, due):
                await self.notify(HeldRun(campaign_id, slot, fired.until.astimezone(rules.tz)))
        elif fired.outcome == "started":
            log_started(campaign_id, slot, fired.run_id)

    def _arm(self, campaign_id: int, at: datetime | None) -> None:
        if at is None:
            self._disarm(campaign_id)
            return
        self.wake_at[campaign_id] = at
        self.jobs.add_job(
            self.wake, DateTrigger(run_date=at, timezone=UTC), args=[campaign_id],
            id=_job_id(campaign_id), replace_existing=True, misfire_grace_time=None)

    def _disarm(self, campaign_id: int) -> None:
        self.wake_at.pop(campaign_id, None)
        with contextlib.suppress(JobLookupError):  # it already ran
            self.jobs.remove_job(_job_id(campaign_id))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.changed()
                await self.polls_due()
            except Exception as exc:  # a busy or briefly unreachable database: try again
                if cause_of(exc) is None:  # passing trouble is told once (core.storage.trouble)
                    log.exception("планировщик: не удалось прочитать расписание, повторю")


def _job_id(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"
