"""When a scheduled run starts: quiet hours (across midnight, across a daylight-saving
change), lateness within and beyond the limit, the next slot of a cron on the 31st and
across DST — pure functions with an injected `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.campaigns.schedule import (
    Hold,
    Missed,
    Rules,
    ScheduleError,
    Start,
    decide,
    default_rules,
    lateness,
    parse_quiet_hours,
    rules_for,
    start_at,
)
from core.campaigns.scheduled import ScheduledCampaign
from scheduler.slots import due_and_next, last_slot, next_slot

EKB = ZoneInfo("Asia/Yekaterinburg")  # UTC+5, no DST
BERLIN = ZoneInfo("Europe/Berlin")
RULES = default_rules("Asia/Yekaterinburg", "21:00-09:00", 360)


def ekb(*args: int) -> datetime:
    return datetime(*args, tzinfo=EKB)


def test_defaults_are_the_issues_and_the_settings():
    from core.config import SchedulerSettings

    settings = SchedulerSettings()
    assert (settings.quiet_hours, settings.lateness_limit_minutes) == ("21:00-09:00", 360)
    assert RULES.lateness_limit == timedelta(hours=6)


def test_quiet_hours_parse_and_refuse():
    quiet = parse_quiet_hours("21:00-09:00")
    assert quiet is not None and quiet.text() == "21:00–09:00"
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("10:00-10:00") is None
    with pytest.raises(ScheduleError, match="21:00-09:00"):
        parse_quiet_hours("вечером")


@pytest.mark.parametrize(("slot", "expected"), [
    (ekb(2025, 12, 10, 10, 0), ekb(2025, 12, 10, 10, 0)),  # daytime: as planned
    (ekb(2025, 12, 10, 22, 30), ekb(2025, 12, 11, 9, 0)),  # evening: next morning
    (ekb(2025, 12, 11, 4, 0), ekb(2025, 12, 11, 9, 0)),  # after midnight: this morning
    (ekb(2025, 12, 10, 21, 0), ekb(2025, 12, 11, 9, 0)),  # the first quiet minute
    (ekb(2025, 12, 10, 9, 0), ekb(2025, 12, 10, 9, 0)),  # the first minute after
])
def test_a_slot_in_quiet_hours_starts_when_they_end(slot: datetime, expected: datetime):
    assert start_at(slot, RULES) == expected
    assert decide(slot, slot, RULES) == (Start() if slot == expected else Hold(expected))


def test_quiet_hours_within_one_day():
    rules = rules_for(None, "13:00-14:00", None, RULES)
    assert start_at(ekb(2025, 12, 10, 13, 30), rules) == ekb(2025, 12, 10, 14, 0)
    assert start_at(ekb(2025, 12, 10, 22, 0), rules) == ekb(2025, 12, 10, 22, 0)


def test_a_campaign_without_quiet_hours_sends_at_night():
    rules = rules_for(None, "", None, RULES)
    assert decide(ekb(2025, 12, 10, 23, 0), ekb(2025, 12, 10, 23, 0), rules) == Start()


def test_late_within_the_limit_starts_beyond_it_is_missed():
    slot = ekb(2025, 12, 10, 10, 0)
    assert decide(slot, slot + timedelta(hours=5, minutes=59), RULES) == Start()
    assert decide(slot, slot + timedelta(hours=6, minutes=1), RULES) == Missed(
        timedelta(hours=6, minutes=1))
    tight = rules_for(None, None, 600, RULES)
    assert isinstance(decide(slot, slot + timedelta(minutes=11), tight), Missed)


def test_quiet_hours_do_not_count_as_lateness():
    """Due at 20:00, Rupor back at 22:00: held until 09:00 and then started, one hour late."""
    slot = ekb(2025, 12, 10, 20, 0)
    assert decide(slot, ekb(2025, 12, 10, 22, 0), RULES) == Hold(ekb(2025, 12, 11, 9, 0))
    assert lateness(slot, ekb(2025, 12, 11, 9, 0), RULES) == timedelta(hours=1)
    assert decide(slot, ekb(2025, 12, 11, 9, 0), RULES) == Start()
    # Back only at 16:00 the next day: 1 h of evening + 7 h of day = 8 h late.
    assert decide(slot, ekb(2025, 12, 11, 16, 0), RULES) == Missed(timedelta(hours=8))


def test_quiet_hours_across_the_march_change_in_berlin():
    """The night of 30 March 2025 has 23 hours; quiet hours still end at 09:00 local."""
    rules = rules_for("Europe/Berlin", None, None, RULES)
    slot = datetime(2025, 3, 29, 23, 0, tzinfo=BERLIN)
    morning = datetime(2025, 3, 30, 9, 0, tzinfo=BERLIN)
    assert start_at(slot, rules) == morning
    assert morning.astimezone(UTC).hour == 7  # CEST, UTC+2
    assert lateness(slot, morning, rules) == timedelta(0)


def test_cron_keeps_local_time_across_dst():
    before = next_slot("0 10 * * *", "Europe/Berlin", datetime(2025, 3, 29, 12, tzinfo=UTC))
    after = next_slot("0 10 * * *", "Europe/Berlin", before or datetime.now(UTC))
    assert before == datetime(2025, 3, 30, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert after == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    autumn = next_slot("0 10 * * *", "Europe/Berlin", datetime(2025, 10, 26, 0, tzinfo=UTC))
    assert autumn == datetime(2025, 10, 26, 9, 0, tzinfo=UTC)  # 10:00 CET


def test_monthly_on_the_31st_and_on_the_last_day():
    jan = datetime(2025, 1, 31, 5, 0, tzinfo=UTC)  # 10:00 in Yekaterinburg
    assert next_slot("0 10 31 * *", "Asia/Yekaterinburg", jan) == datetime(
        2025, 3, 31, 5, 0, tzinfo=UTC)  # cron skips February and April has none either
    assert next_slot("0 10 last * *", "Asia/Yekaterinburg", jan) == datetime(
        2025, 2, 28, 5, 0, tzinfo=UTC)


def test_last_slot_finds_the_latest_due_one_only():
    since = datetime(2025, 1, 1, tzinfo=UTC)
    now = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
    assert last_slot("0 10 1 * *", "Asia/Yekaterinburg", since, now) == datetime(
        2025, 3, 1, 5, 0, tzinfo=UTC)
    assert last_slot("*/5 * * * *", "UTC", since, now) == now
    assert last_slot("0 10 1 * *", "UTC", now - timedelta(days=2), now) is None


def _campaign(**values: object) -> ScheduledCampaign:
    base: dict[str, object] = dict(
        id=1, status="scheduled", run_at=None, cron=None, timezone=None, quiet_hours=None,
        lateness_limit_s=None, created_at=datetime(2025, 1, 1, tzinfo=UTC), last_slot=None)
    return ScheduledCampaign(**{**base, **values})  # type: ignore[arg-type]


def test_due_and_next_once_and_repeating():
    now = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
    at = datetime(2025, 3, 15, 11, 0, tzinfo=UTC)
    assert due_and_next(_campaign(run_at=at), "UTC", now) == (at, None)
    assert due_and_next(_campaign(run_at=at, last_slot=at), "UTC", now) == (None, None)
    later = now + timedelta(hours=1)
    assert due_and_next(_campaign(run_at=later), "UTC", now) == (None, later)
    monthly = _campaign(cron="0 10 1 * *", last_slot=datetime(2025, 3, 1, 10, tzinfo=UTC))
    assert due_and_next(monthly, "UTC", now) == (None, datetime(2025, 4, 1, 10, tzinfo=UTC))
    created_after = _campaign(cron="0 10 1 * *", created_at=datetime(2025, 3, 2, tzinfo=UTC))
    assert due_and_next(created_after, "UTC", now)[0] is None


def test_rules_default_to_the_settings():
    rules = rules_for(None, None, None, RULES)
    assert rules == RULES
    own = rules_for("Europe/Berlin", "22:00-07:00", 3600, RULES)
    assert own == Rules(BERLIN, parse_quiet_hours("22:00-07:00"), timedelta(hours=1))
