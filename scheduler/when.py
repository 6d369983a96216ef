"""When to send, from what the press secretary types: "сейчас", "завтра в 10:00", "в пятницу
в 18:30", "до пятницы 18:00", "каждый месяц 1-го числа в 10:00", ISO 8601 or a 5-field cron
expression becomes `Now`, `Once` or `Recurring`; `describe` is the Russian echo the bot
repeats before confirmation. Pure: no I/O, `now` and the zone are always given.

The grammar is our own (regular expressions over a normalised phrase), not dateparser: on
these very phrases dateparser 1.5 dropped the time of "послезавтра в 9" and "в среду в 10",
read "32 декабря" as the year 2032, knew neither "в 9 утра" nor "10.12 в 9:00" nor "до
пятницы 18:00", silently moved a past "в 18:30" or "1 декабря" forward, and has no
repetition at all. Repetitions are `scheduler.recurrence`; the words are `scheduler.words`.

Rules:
- a date without a year that has passed this year is next year's only when it passed more
  than 60 days ago ("1 января" said on 4 December); otherwise it is refused as past ("1
  декабря" said on 4 December is a mistake, not a plan for next December);
- a weekday that is today means today while its time is ahead, else the same weekday next
  week (the echo shows the date); "до пятницы 18:00" is the moment "в пятницу в 18:00";
- a bare time ("в 18:30") is today; if that has passed, the answer asks "сегодня или
  завтра?" instead of guessing;
- monthly on the 31st is the last day of every month; on the 29th or 30th the months
  without that day are skipped, as cron does, and the echo says so;
- nothing further ahead than `MAX_YEARS_AHEAD` years (a mistyped year, not a plan);
- a local time the clocks skip (spring forward) is refused; a time they repeat (fall back)
  is the first of the two, and the echo says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

from scheduler.recurrence import cron_words, crontab, first_fire, is_repeating, parse_repeating
from scheduler.words import (
    MONTH_DAYS,
    MONTH_LENGTHS,
    MONTH_RE,
    MONTHS_GENITIVE,
    MONTHS_PREPOSITIONAL,
    WEEKDAY_NAMES,
    Clock,
    WhenError,
    clock_text,
    date_text,
    day_text,
    echo,
    month_number,
    normalise,
    not_understood,
    problem,
    split_time,
    utc_offset_text,
    weekday_number,
    zone_text,
)

__all__ = ["Now", "Once", "Recurring", "When", "WhenError", "describe", "parse_when"]

MAX_YEARS_AHEAD = 5
MAX_PHRASE = 200  # characters; a longer text is not a time (and is not worth the regexes)
PAST_YEAR_AFTER_DAYS = 60  # a year-less date passed longer ago than this is next year's
_NOW_WORDS = {"сейчас", "прямо сейчас", "немедленно", "сразу", "now"}
_DAYS_AHEAD = {"сегодня": 0, "завтра": 1, "послезавтра": 2}
_LEADING = {"в", "во", "до", "к", "на", "эту", "этот", "это", "ближайшую", "ближайший",
            "ближайшее"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?P<time>[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:z|[+-]\d{2}(?::?\d{2})?)?)?")
_TEXT_DATE = re.compile(rf"(?P<d>\d{{1,2}})(?:-?го)? (?P<month>{MONTH_RE})"
                        r"(?: (?P<y>\d{4})(?: ?(?:года|год|г))?)?")
_NUM_DATE = re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?:\.(?P<y>\d{4}|\d{2}))?")
_AMOUNT = (r"(?:\d{1,4} ?)?(?:полчаса|минут[уы]?|мин|час(?:а|ов)?|ч|день|дн(?:я|ей)|сутки|суток"
           r"|недел[юиь])")
_RELATIVE = re.compile(rf"через ((?:{_AMOUNT}(?: и)? ?)+)")
_UNIT_MINUTES = (("пол", 30), ("мин", 1), ("ч", 60), ("д", 1440), ("сут", 1440), ("нед", 10080))


@dataclass(frozen=True)
class Now:
    """Send at once."""


@dataclass(frozen=True)
class Once:
    """Send once, at `at` (aware, in the schedule's time zone)."""

    at: datetime


@dataclass(frozen=True)
class Recurring:
    """Send by `cron` ("m h dom mon dow", for CronTrigger.from_crontab) in the zone `tz`;
    `first` is its first fire time at or after the moment it was parsed."""

    cron: str
    tz: str
    first: datetime


When: TypeAlias = Now | Once | Recurring


@dataclass(frozen=True)
class _Day:
    """The day a one-off phrase names; `kind` says how to treat a time already past."""

    kind: str  # "bare" (no day said), "weekday", or "date"
    day: date


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> When:
    """What `text` asks for, read at `now` (a naive `now` is taken as local time in `tz`);
    WhenError, its message in Russian, for anything that is not a future schedule."""
    now = _local(now, tz)
    if len(text) > MAX_PHRASE:
        raise not_understood(text)
    cron = crontab(text)
    if cron is not None:
        return _recurring(cron, tz, now)
    phrase = normalise(text)
    if not phrase:
        raise not_understood(text)
    if phrase in _NOW_WORDS:
        return Now()
    if _ISO.fullmatch(phrase):
        return Once(_iso(phrase, now, tz))
    if is_repeating(phrase):
        return _recurring(parse_repeating(phrase), tz, now)
    relative = _RELATIVE.fullmatch(phrase)
    if relative:
        return Once(_after(relative[1], now, tz))
    return Once(_one_off(phrase, text, now, tz))


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)


def _recurring(cron: str, tz: ZoneInfo, now: datetime) -> Recurring:
    first = first_fire(cron, tz.key, now)
    if first is None:
        raise problem("", f"расписание «{cron}» не наступит никогда", "0 10 1 * *")
    return Recurring(cron=cron, tz=tz.key, first=first)


def _iso(phrase: str, now: datetime, tz: ZoneInfo) -> datetime:
    found = _ISO.fullmatch(phrase)
    if found is None or not found["time"]:
        raise problem(phrase, "не указано время", f"{phrase[:10]}T10:00")
    try:
        parsed = datetime.fromisoformat(phrase.upper())
    except ValueError as error:
        raise problem("", f"«{phrase}» — такой даты или времени нет", "2026-12-10T10:00") from error
    if parsed.year > now.year + MAX_YEARS_AHEAD:
        raise _too_far(now)
    if parsed.tzinfo is not None and parsed.year >= now.year - 1:
        return _ahead(parsed.astimezone(tz), now)
    day = _Day("date", parsed.date())
    return _resolve(day, Clock(parsed.hour, parsed.minute), phrase, now, tz)


def _after(amounts: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Now plus "2 часа", "30 минут", "1 час 30 минут", "полчаса" — real time, not wall time."""
    minutes = 0
    for found in re.finditer(r"(\d+)? ?([а-я]+)", amounts):
        if found[2] == "и":
            continue
        per_unit = next(value for prefix, value in _UNIT_MINUTES if found[2].startswith(prefix))
        minutes += int(found[1] or 1) * per_unit
    if minutes == 0:
        raise problem(f"через {amounts}", "это уже сейчас", "через 30 минут")
    if minutes > MAX_YEARS_AHEAD * 366 * 1440:
        raise _too_far(now)
    return (now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


def _one_off(phrase: str, text: str, now: datetime, tz: ZoneInfo) -> datetime:
    rest, clock = split_time(phrase)
    day = _day(rest, now.date())
    if day is None:
        raise not_understood(text)
    if clock is None:
        raise problem(rest, "не указано время", f"{rest} в 10:00")
    return _resolve(day, clock, text, now, tz)


def _day(rest: str, today: date) -> _Day | None:
    """The day named by the part of a one-off phrase before its time; None: no day."""
    words = rest.split()
    while words and words[0] in _LEADING:
        words.pop(0)
    said = " ".join(words)
    if not said:
        return _Day("bare", today)
    if said in _DAYS_AHEAD:
        return _Day("date", today + timedelta(days=_DAYS_AHEAD[said]))
    weekday = weekday_number(said)
    if weekday is not None:
        return _Day("weekday", today + timedelta(days=(weekday - today.weekday()) % 7))
    named = weekday_number(words[0])
    if named is not None:
        day = _date(" ".join(words[1:]), today)
        return None if day is None else _Day("date", _same_weekday(day, named))
    day = _date(said, today)
    return None if day is None else _Day("date", day)


def _date(said: str, today: date) -> date | None:
    """"10 декабря", "1-го декабря 2026", "10.12", "10.12.2026"; WhenError for no such day."""
    found = _TEXT_DATE.fullmatch(said) or _NUM_DATE.fullmatch(said)
    if found is None:
        return None
    groups = found.groupdict()
    day = int(found["d"])
    month = month_number(groups["month"]) if groups.get("month") else int(groups["m"])
    if not 1 <= month <= 12:
        raise problem("", f"«{said}» — месяца {month} нет: месяцы — от 1 до 12", "10.12 в 9:00")
    if not 1 <= day <= MONTH_DAYS[month - 1]:
        raise problem("", f"«{said}» — такого числа нет: в {MONTHS_PREPOSITIONAL[month - 1]} "
                      f"{MONTH_LENGTHS[month - 1]}", f"1 {MONTHS_GENITIVE[month - 1]} в 10:00")
    year = _year(found["y"], day, month, today)
    try:
        return date(year, month, day)
    except ValueError as error:
        raise problem("", f"в {year} году нет {day} {MONTHS_GENITIVE[month - 1]}",
                      f"28 {MONTHS_GENITIVE[month - 1]} в 10:00") from error


def _year(said: str | None, day: int, month: int, today: date) -> int:
    if said:
        return int(said) + (2000 if len(said) == 2 else 0)
    days_ago = (today - date(today.year, month, min(day, 28))).days
    return today.year + (1 if days_ago > PAST_YEAR_AFTER_DAYS else 0)


def _same_weekday(day: date, weekday: int) -> date:
    if day.weekday() != weekday:
        raise problem("", f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year} — "
                      f"{WEEKDAY_NAMES[day.weekday()]}, а не {WEEKDAY_NAMES[weekday]}",
                      f"{day.day} {MONTHS_GENITIVE[day.month - 1]} в 10:00")
    return day


def _resolve(day: _Day, clock: Clock, text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment of `clock` on `day`, moved or refused when it is not in the future."""
    at = _wall(day.day, clock, tz)
    if at <= now and day.kind == "weekday":
        at = _wall(day.day + timedelta(days=7), clock, tz)
    if at > now:
        return _existing(_ahead(at, now))
    today, time_said = now.date(), clock_text(clock)
    if day.kind == "bare":
        raise WhenError(
            f"«{echo(text)}»: сегодня в {time_said} уже прошло (сейчас {clock_text(now)}). "
            f"Сегодня или завтра? Если завтра — напишите «завтра в {time_said}», "
            f"если сегодня — укажите время позже {clock_text(now)}")
    tomorrow = date_text(today + timedelta(days=1), today)
    raise WhenError(
        f"{date_text(day.day, today)} в {time_said} уже прошло (сейчас {date_text(today, today)}, "
        f"{clock_text(now)}). Укажите будущее время, например «{tomorrow} в {time_said}»")


def _wall(day: date, clock: Clock, tz: ZoneInfo) -> datetime:
    """The local wall time; where the clocks repeat an hour, its first occurrence (fold=0)."""
    return datetime(day.year, day.month, day.day, clock.hour, clock.minute, tzinfo=tz)


def _existing(at: datetime) -> datetime:
    """`at` itself, or WhenError when the clocks skip it (spring forward)."""
    round_trip = at.astimezone(UTC).astimezone(at.tzinfo)
    if round_trip.replace(tzinfo=None) == at.replace(tzinfo=None):
        return at
    day, later = date_text(at.date(), at.date()), at.replace(minute=0) + timedelta(hours=1)
    raise problem("", f"{day} в {clock_text(at)} не бывает: в эту ночь часы переводятся "
                  "вперёд и этот час пропускается", f"{day} в {clock_text(later)}")


def _ahead(at: datetime, now: datetime) -> datetime:
    if at <= now:
        raise WhenError(
            f"{date_text(at.date(), now.date())} в {clock_text(at)} уже прошло (сейчас "
            f"{date_text(now.date(), now.date())}, {clock_text(now)}). Укажите будущее время")
    if at.year > now.year + MAX_YEARS_AHEAD:
        raise _too_far(now)
    return at


def _too_far(now: datetime) -> WhenError:
    return problem("", f"это слишком далеко: расписание — не дальше чем на {MAX_YEARS_AHEAD} "
                   "лет вперёд; проверьте год", f"1 сентября {now.year + 1} в 9:00")


# --- the echo -----------------------------------------------------------------------------

def describe(when: When, *, tz: ZoneInfo, now: datetime, city: str | None = None) -> str:
    """The Russian echo before confirmation: "в пятницу, 11 декабря, в 18:30 (по Москве)".
    `city`, in the dative ("Перми"), names the place instead of the zone's own city."""
    today = _local(now, tz).date()
    if isinstance(when, Now):
        return "сейчас"
    if isinstance(when, Once):
        at = when.at.astimezone(tz)
        where = zone_text(tz, at, repeating=False, city=city)
        return f"{day_text(at.date(), today)}, в {clock_text(at)} ({where}){_fold_note(at)}"
    zone = ZoneInfo(when.tz)
    first = when.first.astimezone(zone)
    where = zone_text(zone, first, repeating=True, city=city)
    lead = {0: "сегодня, ", 1: "завтра, "}.get((first.date() - today).days, "")
    first_said = lead + date_text(first.date(), today)
    words = cron_words(when.cron)
    if words is None:
        return (f"по расписанию cron «{when.cron}» ({where}), первая отправка — {first_said} "
                f"в {clock_text(first)}")
    rule, note = words
    return f"{rule} ({where}), первая отправка — {first_said}" + (f"; {note}" if note else "")


def _fold_note(at: datetime) -> str:
    """Says which of two equal wall times is meant where the clocks go back that night."""
    other = at.replace(fold=1 - at.fold)
    if other.utcoffset() == at.utcoffset():
        return ""
    which = "в первый" if at.fold == 0 else "во второй"
    return (f"; в эту ночь часы переводятся назад и {clock_text(at)} бывает дважды — "
            f"отправим {which} раз ({utc_offset_text(at)})")
