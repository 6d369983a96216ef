"""When a scheduled run may start: quiet hours, lateness and the decision for one slot.

Pure functions of an injected `now`; every datetime is aware. A slot is the time a schedule
named (the run's `scheduled_for`, unique per campaign); the start may be later: a slot in
quiet hours starts when they end, and a slot found late starts at once if its lateness is
within the limit, else it is missed. Lateness counts only the time outside quiet hours, so
a run held overnight by quiet hours is never missed for having been held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Yekaterinburg"
DEFAULT_QUIET_HOURS = "21:00-09:00"
DEFAULT_LATENESS = timedelta(hours=6)


class ScheduleError(ValueError):
    """A schedule value that cannot be used; str(error) is Russian."""


@dataclass(frozen=True)
class QuietHours:
    """Local clock times [start, end); end <= start means the hours cross midnight."""

    start: time
    end: time

    def text(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def intervals(self, since: datetime, until: datetime, tz: ZoneInfo) -> Iterator[
            tuple[datetime, datetime]]:
        """The quiet intervals (aware, in `tz`) that overlap [since, until]."""
        day = since.astimezone(tz).date() - timedelta(days=1)
        last = until.astimezone(tz).date()
        while day <= last:
            begin = datetime.combine(day, self.start, tzinfo=tz)
            end_day = day if self.end > self.start else day + timedelta(days=1)
            end = datetime.combine(end_day, self.end, tzinfo=tz)
            if end > since and begin <= until:
                yield begin, end
            day += timedelta(days=1)

    def covering(self, at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The quiet interval `at` falls in, or None."""
        for begin, end in self.intervals(at, at, tz):
            if begin <= at < end:
                return begin, end
        return None


def parse_quiet_hours(text: str) -> QuietHours | None:
    """"21:00-09:00" as QuietHours; "" (or equal ends) means none."""
    if not text.strip():
        return None
    try:
        start_text, end_text = text.replace("–", "-").split("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError as error:
        raise ScheduleError(f"тихие часы «{text}»: пишите так: 21:00-09:00") from error
    return None if start == end else QuietHours(start, end)


@dataclass(frozen=True)
class Rules:
    """What applies to one campaign's slots: its time zone, quiet hours, lateness limit."""

    tz: ZoneInfo
    quiet: QuietHours | None
    lateness_limit: timedelta


def rules_for(
    timezone: str | None, quiet_hours: str | None, lateness_limit_s: int | None,
    defaults: Rules,
) -> Rules:
    """A campaign's own values where set (None: the settings' defaults)."""
    return Rules(
        tz=ZoneInfo(timezone) if timezone else defaults.tz,
        quiet=defaults.quiet if quiet_hours is None else parse_quiet_hours(quiet_hours),
        lateness_limit=(defaults.lateness_limit if lateness_limit_s is None
                        else timedelta(seconds=lateness_limit_s)),
    )


def start_at(slot: datetime, rules: Rules) -> datetime:
    """When a slot's run starts if nothing is late: the end of quiet hours it falls in."""
    if rules.quiet is None:
        return slot
    found = rules.quiet.covering(slot, rules.tz)
    return slot if found is None else found[1].astimezone(UTC)


def lateness(slot: datetime, now: datetime, rules: Rules) -> timedelta:
    """How long the slot has waited outside quiet hours by `now` (zero if not yet due)."""
    if now <= slot:
        return timedelta(0)
    waited = now - slot
    if rules.quiet is not None:
        for begin, end in rules.quiet.intervals(slot, now, rules.tz):
            waited -= min(end, now) - max(begin, slot)
    return max(waited, timedelta(0))


@dataclass(frozen=True)
class Start:
    """Start the run now."""


@dataclass(frozen=True)
class Hold:
    """Not yet: start at `until` (the end of quiet hours, or the slot itself)."""

    until: datetime


@dataclass(frozen=True)
class Missed:
    """Too late: record the slot as missed and tell the press secretary."""

    late_by: timedelta


Decision = Start | Hold | Missed


def decide(slot: datetime, now: datetime, rules: Rules) -> Decision:
    """What to do with a slot at `now`."""
    planned = start_at(slot, rules)
    if now < planned:
        return Hold(planned)
    late = lateness(slot, now, rules)
    if late > rules.lateness_limit:
        return Missed(late)
    quiet = rules.quiet.covering(now, rules.tz) if rules.quiet else None
    if quiet is not None:
        return Hold(quiet[1].astimezone(UTC))
    return Start()


def in_quiet_hours(now: datetime, rules: Rules) -> datetime | None:
    """The end of the quiet hours `now` is in (for a warning on "now" posts), or None."""
    found = rules.quiet.covering(now, rules.tz) if rules.quiet else None
    return None if found is None else found[1]


def default_rules(timezone: str, quiet_hours: str, lateness_limit_minutes: int) -> Rules:
    """The settings' [scheduler] values as the rules of a campaign that sets none."""
    return Rules(ZoneInfo(timezone), parse_quiet_hours(quiet_hours),
                 timedelta(minutes=lateness_limit_minutes))
