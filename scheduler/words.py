"""The Russian of schedule phrases, in one place: normalising what a person typed, months,
weekdays, clock times ("в 9", "в 6 вечера"), the city a time zone is named after, and
`WhenError`, whose Russian message says what was understood, what is wrong and an example.

Imports nothing of the project; `scheduler.when` and `scheduler.recurrence` build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

EXAMPLES = "«завтра в 10:00», «1 декабря в 9:00», «каждый месяц 1-го числа в 10:00»"
MAX_ECHO = 60  # characters of the person's own text repeated in an error; garbage is cut


class WhenError(ValueError):
    """Not a schedule; str(error) is the Russian answer for the press secretary."""


def normalise(text: str) -> str:
    """Lower case, "ё" as "е", one space between words, no commas, quotes or final dot."""
    phrase = text.lower().replace("ё", "е").replace(",", " ")
    phrase = re.sub(r"[–—−]", "-", phrase)
    return " ".join(phrase.split()).strip(" .!«»\"'")


def echo(text: str) -> str:
    """The person's text as quoted back in an error, shortened when long."""
    said = " ".join(text.split())
    return said if len(said) <= MAX_ECHO else said[: MAX_ECHO - 1] + "…"


def not_understood(text: str) -> WhenError:
    return WhenError(f"Не понял «{echo(text)}». Например: {EXAMPLES}")


def problem(understood: str, wrong: str, *examples: str) -> WhenError:
    """An error that first repeats what was understood (if anything), then examples."""
    lead = f"Понял «{understood}», но {wrong}" if understood else wrong[:1].upper() + wrong[1:]
    return WhenError(f"{lead}. Например: " + ", ".join(f"«{text}»" for text in examples))


# --- months and weekdays -------------------------------------------------------------------

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")
MONTHS_PREPOSITIONAL = ("январе", "феврале", "марте", "апреле", "мае", "июне", "июле",
                        "августе", "сентябре", "октябре", "ноябре", "декабре")
# "ма" after "мар" on purpose: "март" is tried (index 2) before "май"/"мая" (index 4).
_MONTH_STEMS = ("янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя",
                "дек")
MONTH_RE = (r"(?:янв\w*|фев\w*|мар\w*|апр\w*|ма[йя]|июн\w*|июл\w*|авг\w*|сен\w*|окт\w*"
            r"|ноя\w*|дек\w*)")
MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # the most a month ever has
MONTH_LENGTHS = tuple({31: "31 день", 30: "30 дней", 29: "28 или 29 дней"}[days]
                      for days in MONTH_DAYS)


def month_number(word: str) -> int:
    """1..12 for a word MONTH_RE matched."""
    return next(i for i, stem in enumerate(_MONTH_STEMS, 1) if word.startswith(stem))


_WEEKDAYS = tuple(re.compile(pattern) for pattern in (
    r"понедельник\w*|пн", r"вторник\w*|вт", r"сред[аыуе]\w*|ср", r"четверг\w*|чт",
    r"пятниц\w*|пт", r"суббот\w*|сб", r"воскресень\w*|вс"))
WEEKDAY_NAMES = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
                 "воскресенье")
WEEKDAY_ON = ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу",
              "в субботу", "в воскресенье")
WEEKDAY_EVERY = ("каждый понедельник", "каждый вторник", "каждую среду", "каждый четверг",
                 "каждую пятницу", "каждую субботу", "каждое воскресенье")
WEEKDAY_DATIVE = ("понедельникам", "вторникам", "средам", "четвергам", "пятницам",
                  "субботам", "воскресеньям")
CRON_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()


def weekday_number(word: str) -> int | None:
    """0 (Monday) .. 6 for any form of a weekday's name, else None."""
    return next((i for i, form in enumerate(_WEEKDAYS) if form.fullmatch(word)), None)


# --- clock times ---------------------------------------------------------------------------

_TIME = (r"(?P<time>(?:(?P<at>в|во|к)\s+)?(?P<h>\d{1,2})(?:(?P<sep>[:.])(?P<m>\d{2}))?"
         r"(?:\s*(?P<word>ч|час|часа|часов)\b\.?)?(?:\s+(?P<part>утра|дня|вечера|ночи))?)")
_TIME_AT_END = re.compile(rf"(?P<rest>.*?)(?:^|\s){_TIME}")
_TIME_AT_START = re.compile(rf"{_TIME}\s+(?P<rest>.+)")
# Hours a person means by "9 утра", "3 дня", "6 вечера", "12 ночи", as on a 24-hour clock.
_PARTS: dict[str, dict[int, int]] = {
    "утра": {h: h for h in range(1, 12)},
    "дня": {12: 12, **{h: h + 12 for h in range(1, 6)}, **{h: h for h in range(13, 18)}},
    "вечера": {**{h: h + 12 for h in range(5, 12)}, **{h: h for h in range(17, 24)}},
    "ночи": {12: 0, **{h: h for h in range(5)}, **{h: h + 12 for h in range(9, 12)},
             **{h: h for h in range(21, 24)}},
}


@dataclass(frozen=True)
class Clock:
    """A time of day on a 24-hour clock."""

    hour: int
    minute: int


def split_time(phrase: str) -> tuple[str, Clock | None]:
    """The day part of a normalised phrase and its time of day (None when it names none).

    A number is a time only with "в"/"к" before it, ":MM", "ч"/"часов" or "утра"/"вечера"…
    after it, so "15" in "каждое 15 число" stays a day; ".MM" needs "в": "10.12" is a date.
    """
    for pattern in (_TIME_AT_END, _TIME_AT_START):
        found = pattern.fullmatch(phrase)
        if found and _is_time(found):
            rest = found["rest"].strip()
            return rest, _clock(found, rest)
    return phrase, None


def _is_time(found: re.Match[str]) -> bool:
    if found["sep"] == ".":
        return found["at"] is not None
    return any(found[name] for name in ("at", "sep", "word", "part"))


def _clock(found: re.Match[str], rest: str) -> Clock:
    hour, minute, part = int(found["h"]), int(found["m"] or 0), found["part"]
    said, example = found["time"], f"{rest or 'завтра'} в 10:00"
    if part:
        if hour not in _PARTS[part]:
            raise problem(rest, f"«{said}» — так не говорят: «утра» — с 1 до 11, «дня» — "
                          "с 12 до 5, «вечера» — с 5 до 11, «ночи» — с 12 до 4", example)
        hour = _PARTS[part][hour]
    if hour > 23 or minute > 59:
        raise problem(rest, f"«{said}» — такого времени нет: часы — от 0 до 23, минуты — "
                      "от 0 до 59", example)
    return Clock(hour, minute)


# --- saying dates, times and zones ----------------------------------------------------------

def clock_text(moment: datetime | Clock) -> str:
    """"9:00", "18:30" — no leading zero on the hour."""
    return f"{moment.hour}:{moment.minute:02d}"


def date_text(day: date, today: date) -> str:
    """"11 декабря", or "1 января 2027" when the year is not this one."""
    text = f"{day.day} {MONTHS_GENITIVE[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def day_text(day: date, today: date) -> str:
    """"в пятницу, 11 декабря", with "сегодня, " or "завтра, " in front when it is."""
    lead = {0: "сегодня, ", 1: "завтра, "}.get((day - today).days, "")
    return f"{lead}{WEEKDAY_ON[day.weekday()]}, {date_text(day, today)}"


# Russian time zones (tzdata names) by the city they are named after, in the dative.
CITIES = {
    "Europe/Kaliningrad": "Калининграду", "Europe/Moscow": "Москве",
    "Europe/Simferopol": "Симферополю", "Europe/Volgograd": "Волгограду",
    "Europe/Kirov": "Кирову", "Europe/Astrakhan": "Астрахани", "Europe/Saratov": "Саратову",
    "Europe/Ulyanovsk": "Ульяновску", "Europe/Samara": "Самаре",
    "Asia/Yekaterinburg": "Екатеринбургу", "Asia/Omsk": "Омску",
    "Asia/Novosibirsk": "Новосибирску", "Asia/Barnaul": "Барнаулу", "Asia/Tomsk": "Томску",
    "Asia/Novokuznetsk": "Новокузнецку", "Asia/Krasnoyarsk": "Красноярску",
    "Asia/Irkutsk": "Иркутску", "Asia/Chita": "Чите", "Asia/Yakutsk": "Якутску",
    "Asia/Khandyga": "Хандыге", "Asia/Vladivostok": "Владивостоку",
    "Asia/Ust-Nera": "Усть-Нере", "Asia/Magadan": "Магадану",
    "Asia/Sakhalin": "Южно-Сахалинску", "Asia/Srednekolymsk": "Среднеколымску",
    "Asia/Kamchatka": "Петропавловску-Камчатскому", "Asia/Anadyr": "Анадырю",
    "Europe/Minsk": "Минску",
}


def utc_offset_text(moment: datetime) -> str:
    """"UTC+5", "UTC-3:30", "UTC" for the offset in force at `moment` (aware)."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if not minutes:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def zone_text(tz: ZoneInfo, moment: datetime, *, repeating: bool, city: str | None) -> str:
    """"по Екатеринбургу"; else "UTC+5", or the zone's name when a repeating schedule
    crosses a change of the clocks there (its offset is not one number)."""
    if city or tz.key in CITIES:
        return f"по {city or CITIES[tz.key]}"
    january, july = (datetime(moment.year, month, 1, tzinfo=tz) for month in (1, 7))
    if repeating and january.utcoffset() != july.utcoffset():
        return f"по времени {tz.key}"
    return utc_offset_text(moment)
