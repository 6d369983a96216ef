"""Hypothesis against the Russian schedule phrases (scheduler.when, scheduler.words) beyond
tests/unit/test_when.py's fixed "now": any moment of 2020–2040 (New Year, 29 February, the
clock changes of zones that still have them), any time zone, numbers of any size beside the
schedule words, markup, emoji and huge strings. Every phrase is a schedule in the future
that describes itself in Russian, or a WhenError whose message is Russian — never another
exception."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from scheduler.when import Once, Recurring, WhenError, describe, parse_when
from tests.fuzzing import fuzz, hostile_text, huge_text

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
SCHEDULE_WORDS = [
    "до", "в", "во", "на", "через", "каждый", "каждую", "каждое", "ежемесячно", "ежедневно",
    "по", "с", "пятницы", "пятницу", "субботам", "будням", "выходным", "месяц", "месяца",
    "числа", "последний", "день", "год", "неделю", "сегодня", "завтра", "послезавтра",
    "сейчас", "утра", "вечера", "ночи", "дня", "часов", "часа", "минут", "полчаса", "года",
    "января", "февраля", "марта", "декабря", "18:00", "9", "9.30", "24:00", "23:59", "00:00",
    "29.02", "31.04", "1-го", "31-е", "-", ",", ".", ":", "*/5", "T", "Z", "+05:00",
]
words = st.one_of(
    st.sampled_from(SCHEDULE_WORDS),
    st.integers(-(10**12), 10**30).map(str),
    st.builds("{}:{}".format, st.integers(0, 10**4), st.integers(0, 10**4)),
    st.builds("{}.{}.{}".format, st.integers(0, 99), st.integers(0, 99), st.integers(0, 10**6)),
    hostile_text(4),
)
phrases = st.one_of(st.lists(words, max_size=8).map(" ".join), huge_text(), st.text())
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31),
                       timezones=st.just(UTC))


@fuzz(600)
@given(phrase=phrases, now=moments, zone=st.sampled_from(ZONES))
@example(phrase="до пятницы 18:00", now=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
         zone="Europe/Berlin")
@example(phrase="завтра в 9", now=datetime(2028, 2, 28, 22, 0, tzinfo=UTC), zone="Asia/Kamchatka")
@example(phrase="каждый месяц 31-го числа в 2:30", now=datetime(2026, 3, 1, tzinfo=UTC),
         zone="America/New_York")
@example(phrase="через 99999999999999999999 часов", now=datetime(2030, 1, 1, tzinfo=UTC),
         zone="UTC")
def test_any_phrase_is_a_future_schedule_or_a_russian_refusal(
    phrase: str, now: datetime, zone: str
) -> None:
    tz = zoneinfo.ZoneInfo(zone)
    local_now = now.astimezone(tz)
    try:
        when = parse_when(phrase, now=local_now, tz=tz)
    except WhenError as refusal:
        assert CYRILLIC.search(str(refusal)), (phrase, str(refusal))
        return
    said = describe(when, tz=tz, now=local_now)
    assert CYRILLIC.search(said) or said[:1].isdigit(), (phrase, said)
    if isinstance(when, Once):
        assert when.at > local_now and when.at.tzinfo is not None
    if isinstance(when, Recurring):
        assert when.first is None or when.first > local_now
