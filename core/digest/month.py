"""Months as the digest names them ("2026-11", "ноябрь 2026") and when its two monthly
jobs are due, decided from a clock reading in the organisation's time zone.

The reminder is due from the 25th at 10:00 to the month's end; the digest of a month from
the 1st of the next at 09:00 for a week (a process down on the 1st catches up, a first
start mid-year does not compile a digest of a month long past)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

NAMES = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
         "сентябрь", "октябрь", "ноябрь", "декабрь")
REMIND_DAY, REMIND_AT = 25, time(10, 0)
DIGEST_DAY, DIGEST_AT = 1, time(9, 0)
DIGEST_CATCH_UP = timedelta(days=7)


class MonthError(ValueError):
    """Not a month; the message says what to type, in Russian."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Month:
        found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", value)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise MonthError(f"«{value}» — не месяц; напишите год и месяц, например 2026-11.")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime) -> Month:
        return cls(moment.year, moment.month)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def words(self) -> str:
        """"ноябрь 2026"."""
        return f"{NAMES[self.month - 1]} {self.year}"

    @property
    def name(self) -> str:
        """"ноябрь"."""
        return NAMES[self.month - 1]

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The month's first moment and the next month's, in `tz` (aware)."""
        following = self.next()
        return (datetime(self.year, self.month, 1, tzinfo=tz),
                datetime(following.year, following.month, 1, tzinfo=tz))

    def __str__(self) -> str:
        return self.key


def reminder_due(now: datetime, tz: ZoneInfo) -> Month | None:
    """The month whose reminder is due at `now` (from the 25th 10:00 to its end)."""
    local = now.astimezone(tz)
    start = datetime.combine(local.date().replace(day=REMIND_DAY), REMIND_AT, tzinfo=tz)
    return Month.of(local) if local >= start else None


def digest_due(now: datetime, tz: ZoneInfo) -> Month | None:
    """The month whose digest is due at `now` (the previous one, from the 1st 09:00 for a
    week)."""
    local = now.astimezone(tz)
    start = datetime.combine(local.date().replace(day=DIGEST_DAY), DIGEST_AT, tzinfo=tz)
    return Month.of(local).previous() if start <= local < start + DIGEST_CATCH_UP else None
