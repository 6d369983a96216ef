"""Repeating schedules: a Russian phrase ("каждый понедельник в 9:00", "каждый месяц 1-го
числа в 10:00") or a 5-field cron expression becomes a standard cron string "m h dom mon dow"
that APScheduler 3.11's `CronTrigger.from_crontab` reads as meant, and turns back into
Russian for the echo before confirmation.

Weekdays are always written as names (mon…sun): from_crontab counts numeric weekdays from
Monday = 0 (APScheduler issue 286), standard cron from Sunday = 0, so a numeric weekday of a
cron expression is rewritten as the name standard cron means ("0 10 * * 1" → "… mon").
Monthly on the 31st means the end of the month ('last'); on the 29th or 30th the day is
kept and the months without it are skipped, as cron does (the echo warns).
"""

from __future__ import annotations

import re
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from scheduler.words import (
    CRON_WEEKDAYS,
    MONTH_DAYS,
    MONTH_RE,
    MONTHS_GENITIVE,
    MONTHS_PREPOSITIONAL,
    WEEKDAY_DATIVE,
    WEEKDAY_EVERY,
    WhenError,
    echo,
    month_number,
    problem,
    split_time,
    weekday_number,
)

_REPEATING = re.compile(
    r"\b(?:кажд|ежедн|еженед|ежемес|ежегод|по\s+(?:будн|рабоч|выходн|понедельник|вторник"
    r"|сред|четверг|пятниц|суббот|воскресень)|в\s+будни)")
_CRON_FIELD = r"[0-9a-z*/,\-]+"
_CRON = re.compile(rf"{_CRON_FIELD}(?:\s+{_CRON_FIELD}){{4}}")
_CRON_WEEKDAY_PART = re.compile(r"(\*|\d)(?:-(\d))?(?:/(\d))?")
_SUNDAY_FIRST = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # standard cron numbering
_WORKDAYS = "mon-fri"
_WEEKENDS = "sat,sun"
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"каждый день|ежедневно|каждые сутки"), "*"),
    (re.compile(r"(?:каждый |в |по )?(?:будний|рабочий|будни|будням)(?: день| дням| дни)?"
                r"|по (?:будним|рабочим) дням"), _WORKDAYS),
    (re.compile(r"(?:по|каждые|в) выходн\w*(?: дням| дни)?"), _WEEKENDS),
)
_WEEKLY_FILLER = {"каждый", "каждую", "каждое", "по", "еженедельно", "в", "во", "и"}
_MONTHLY_FILLER = {"каждый", "каждое", "каждого", "ежемесячно", "месяц", "месяца", "числа",
                   "число", "в"}
_MONTH_DAY = re.compile(r"(\d{1,2})(?:-?(?:го|е|ое|ого))?")
_LAST_DAY = re.compile(r"последн(?:ий|ее|его)(?: день)?")
_YEARLY = re.compile(rf"(?:каждый год|ежегодно)(?: в)? (\d{{1,2}})(?:-?го)? ({MONTH_RE})")
_EXAMPLE = "каждый понедельник в 9:00"


def is_repeating(phrase: str) -> bool:
    """Whether a normalised phrase asks for a repeating schedule."""
    return bool(_REPEATING.search(phrase))


def crontab(text: str) -> str | None:
    """The cron of a 5-field cron expression, checked by APScheduler, its numeric weekdays
    made names; None when `text` does not look like one, WhenError when it is a bad one."""
    raw = " ".join(text.lower().split())
    if not _CRON.fullmatch(raw):
        return None
    fields = raw.split()
    fields[4] = _named_weekdays(fields[4], raw)
    cron = " ".join(fields)
    try:
        CronTrigger.from_crontab(cron, timezone="UTC")
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise _bad_cron(raw) from error
    return cron


def parse_repeating(phrase: str) -> str:
    """The cron of a phrase `is_repeating` accepted; WhenError when it cannot be one."""
    rest, clock = split_time(phrase)
    fields = _day_fields(rest)
    if fields is None:
        raise problem("", f"не понял, когда повторять: «{echo(phrase)}»",
                      _EXAMPLE, "каждый месяц 1-го числа в 10:00")
    if clock is None:
        raise problem(rest, "не указано время", f"{rest} в 10:00")
    return f"{clock.minute} {clock.hour} {fields}"


def first_fire(cron: str, tz: str, now: datetime) -> datetime | None:
    """The first time the cron fires at or after `now`, in `tz` (None: it never fires)."""
    fire: datetime | None = CronTrigger.from_crontab(cron, timezone=tz).get_next_fire_time(
        None, now)
    return fire


def _day_fields(rest: str) -> str | None:
    """"dom mon dow" for the day part of a repeating phrase, None when it names no days."""
    for shape, weekdays in _SHAPES:
        if shape.fullmatch(rest):
            return f"* * {weekdays}"
    weekly = _weekly(rest)
    if weekly:
        return f"* * {weekly}"
    yearly = _YEARLY.fullmatch(rest)
    if yearly:
        return _yearly(yearly, rest)
    if re.search(r"месяц|ежемес|числ|последн", rest):
        return _monthly(rest)
    return None


def _weekly(rest: str) -> str | None:
    words = [word for word in rest.split() if word not in _WEEKLY_FILLER]
    days = [weekday_number(word) for word in words]
    if not days or None in days:
        return None
    chosen = sorted({day for day in days if day is not None})
    return ",".join(CRON_WEEKDAYS[day] for day in chosen)


def _monthly(rest: str) -> str | None:
    said = " ".join(word for word in rest.split() if word not in _MONTHLY_FILLER)
    if not said:
        raise problem(rest, "не указано, какого числа", "каждый месяц 1-го числа в 10:00")
    if _LAST_DAY.fullmatch(said):
        return "last * *"
    found = _MONTH_DAY.fullmatch(said)
    if not found:
        return None
    day = int(found[1])
    if not 1 <= day <= 31:
        raise problem("", f"{day}-го числа не бывает: числа месяца — от 1 до 31",
                      "каждый месяц 1-го числа в 10:00")
    return f"{'last' if day == 31 else day} * *"


def _yearly(found: re.Match[str], rest: str) -> str:
    day, month = int(found[1]), month_number(found[2])
    if not 1 <= day <= MONTH_DAYS[month - 1]:
        raise problem("", f"«{rest}»: в {MONTHS_PREPOSITIONAL[month - 1]} не бывает "
                      f"{day}-го числа", "каждый год 1 сентября в 9:00")
    return f"{day} {month} *"


def _named_weekdays(field: str, phrase: str) -> str:
    if field == "*" or re.search(r"[a-z]", field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        found = _CRON_WEEKDAY_PART.fullmatch(part)
        if not found:
            raise _bad_cron(phrase)
        days.update(_weekday_range(found, phrase))
    named = ",".join(_SUNDAY_FIRST[day] for day in [1, 2, 3, 4, 5, 6, 0] if day in days)
    return {"mon,tue,wed,thu,fri": _WORKDAYS, ",".join(CRON_WEEKDAYS): "*"}.get(named, named)


def _weekday_range(found: re.Match[str], phrase: str) -> set[int]:
    """Standard cron weekday numbers (0 and 7 = Sunday) of one part of the field."""
    start, end, step = found[1], found[2], int(found[3] or 1)
    first = 0 if start == "*" else int(start)
    last = 7 if start == "*" and end is None else int(end or first)
    if step == 0 or first > last or last > 7 or (start == "*" and end is not None):
        raise _bad_cron(phrase)
    return {day % 7 for day in range(first, last + 1, step)}


def _bad_cron(phrase: str) -> WhenError:
    return problem("", f"не понял расписание cron «{echo(phrase)}»: поля — минуты (0–59), "
                   "часы (0–23), число (1–31), месяц (1–12), день недели (0–7, воскресенье — "
                   "0 или 7)", "0 10 1 * *")


# --- back into words ------------------------------------------------------------------------

def cron_words(cron: str) -> tuple[str, str] | None:
    """("каждый месяц 1-го числа в 10:00", note) for the shapes this module writes; the note
    warns of months a schedule skips ("" when none). None for any other cron."""
    minute, hour, dom, month, dow = cron.split()
    if not (minute.isdigit() and hour.isdigit()):
        return None
    days = _days_words(dom, month, dow)
    if days is None:
        return None
    words, note = days
    return f"{words} в {int(hour)}:{int(minute):02d}", note


def _days_words(dom: str, month: str, dow: str) -> tuple[str, str] | None:
    if dom == "*" and month == "*":
        return _weekdays_words(dow)
    if dow != "*":
        return None
    if month == "*":
        return _month_day_words(dom)
    if dom.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"каждый год {int(dom)} {MONTHS_GENITIVE[int(month) - 1]}", ""
    return None


def _weekdays_words(dow: str) -> tuple[str, str] | None:
    named = {"*": "каждый день", _WORKDAYS: "по будням", _WEEKENDS: "по выходным"}
    if dow in named:
        return named[dow], ""
    names = dow.split(",")
    if not set(names) <= set(CRON_WEEKDAYS):
        return None
    days = [CRON_WEEKDAYS.index(name) for name in names]
    if len(days) == 1:
        return WEEKDAY_EVERY[days[0]], ""
    plural = [WEEKDAY_DATIVE[day] for day in days]
    return "по " + ", ".join(plural[:-1]) + " и " + plural[-1], ""


def _month_day_words(dom: str) -> tuple[str, str] | None:
    if dom == "last":
        return ("каждый месяц в последний день",
                "последний день — 31-е, 30-е, а в феврале 28-е или 29-е число")
    if not dom.isdigit() or not 1 <= int(dom) <= 31:
        return None
    day = int(dom)
    notes = {29: "в феврале невисокосного года не отправляется — в нём нет 29-го числа",
             30: "в феврале не отправляется — в нём нет 30-го числа",
             31: "в месяцы без 31-го числа не отправляется"}
    return f"каждый месяц {day}-го числа", notes.get(day, "")
