"""A campaign's slots: the one it came due for and the next one, from its `run_at` or its
cron read by APScheduler's zone-aware CronTrigger (so 10:00 stays 10:00 local across a
daylight-saving change, and "0 10 31 * *" skips the months without a 31st, as cron does).

Only the latest slot that came due counts: slots a stopped process slept through before it
are not replayed one by one (the latest is started or reported missed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

from core.campaigns.scheduled import ScheduledCampaign

# How far back to look for the latest cron slot, widening until one is found: a minutely
# cron needs a few steps, a yearly one the whole year.
LOOK_BACK = (timedelta(hours=1), timedelta(days=1), timedelta(days=32), timedelta(days=367))
MAX_STEPS = 10_000  # slots walked in one window at most (a cron every minute for a week)


@lru_cache(maxsize=1024)
def trigger(cron: str, tz: str) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=tz)


def next_slot(cron: str, tz: str, after: datetime) -> datetime | None:
    """The first slot strictly after `after`, in UTC (None: the cron never fires again)."""
    # get_next_fire_time is inclusive and rounds up to whole seconds.
    found: datetime | None = trigger(cron, tz).get_next_fire_time(
        None, after + timedelta(microseconds=1))
    return None if found is None else found.astimezone(UTC)


def last_slot(cron: str, tz: str, since: datetime, now: datetime) -> datetime | None:
    """The latest slot in (since, now], or None."""
    for window in LOOK_BACK:
        cursor, latest = max(since, now - window), None
        for _ in range(MAX_STEPS):
            found = next_slot(cron, tz, cursor)
            if found is None or found > now:
                break
            latest = cursor = found
        if latest is not None or now - window <= since:
            return latest
    return None


def due_and_next(
    campaign: ScheduledCampaign, tz: str, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(the slot that came due and has no run yet, the next slot after `now`)."""
    if campaign.cron is None:
        if campaign.last_slot is not None or campaign.run_at is None:
            return None, None
        return (campaign.run_at, None) if campaign.run_at <= now else (None, campaign.run_at)
    since = max(campaign.created_at, campaign.last_slot or campaign.created_at)
    return last_slot(campaign.cron, tz, since, now), next_slot(campaign.cron, tz, now)
