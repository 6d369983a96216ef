"""What the press secretary types becomes the schedule they meant, or a Russian answer saying
what was understood, what is wrong and an example (scheduler.when)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.when import Now, Once, Recurring, WhenError, describe, parse_when

EKB = ZoneInfo("Asia/Yekaterinburg")
MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 4, 15, 20, tzinfo=EKB)  # a Friday


def at(year: int, month: int, day: int, hour: int, minute: int, tz: ZoneInfo = EKB) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def once(text: str, now: datetime = NOW, tz: ZoneInfo = EKB) -> datetime:
    when = parse_when(text, now=now, tz=tz)
    assert isinstance(when, Once), when
    return when.at


def refusal(text: str, now: datetime = NOW, tz: ZoneInfo = EKB) -> str:
    with pytest.raises(WhenError) as caught:
        parse_when(text, now=now, tz=tz)
    return str(caught.value)


ONCE = [
    ("завтра в 10:00", at(2026, 12, 5, 10, 0)),
    ("в пятницу в 18:30", at(2026, 12, 4, 18, 30)),
    ("до пятницы 18:00", at(2026, 12, 4, 18, 0)),
    ("сегодня в 15:30", at(2026, 12, 4, 15, 30)),
    ("послезавтра в 9", at(2026, 12, 6, 9, 0)),
    ("10 декабря 2026 в 9:30", at(2026, 12, 10, 9, 30)),
    ("10 декабря 2026 года в 9:30", at(2026, 12, 10, 9, 30)),
    ("10.12 в 9:00", at(2026, 12, 10, 9, 0)),
    ("10.12.2026 9:00", at(2026, 12, 10, 9, 0)),
    ("10.12.26 в 9:00", at(2026, 12, 10, 9, 0)),
    ("в понедельник 9:00", at(2026, 12, 7, 9, 0)),
    ("во вторник в 9", at(2026, 12, 8, 9, 0)),
    ("в среду в 10", at(2026, 12, 9, 10, 0)),
    ("в чт в 12:00", at(2026, 12, 10, 12, 0)),
    ("в 18:30", at(2026, 12, 4, 18, 30)),
    ("в 6 вечера", at(2026, 12, 4, 18, 0)),
    ("завтра в 9 утра", at(2026, 12, 5, 9, 0)),
    ("завтра в 3 дня", at(2026, 12, 5, 15, 0)),
    ("завтра в 12 ночи", at(2026, 12, 5, 0, 0)),
    ("завтра в 11 ночи", at(2026, 12, 5, 23, 0)),
    ("завтра 10 часов", at(2026, 12, 5, 10, 0)),
    ("в 10:00 завтра", at(2026, 12, 5, 10, 0)),
    ("завтра в 9.30", at(2026, 12, 5, 9, 30)),
    ("1-го декабря 2027 в 9:00", at(2027, 12, 1, 9, 0)),
    ("1 января в 10:00", at(2027, 1, 1, 10, 0)),
    ("в пятницу, 11 декабря, в 18:30", at(2026, 12, 11, 18, 30)),
    ("на завтра в 10:00", at(2026, 12, 5, 10, 0)),
    ("  ЗАВТРА   В  10:00. ", at(2026, 12, 5, 10, 0)),
    ("в субботу в 10:00", at(2026, 12, 5, 10, 0)),
    ("в субботу в 10:00", at(2026, 12, 5, 10, 0)),
    ("во вторник в 9:00", at(2026, 12, 8, 9, 0)),
    ("в воскресенье в 9:00", at(2026, 12, 6, 9, 0)),
    ("в эту среду в 9:00", at(2026, 12, 9, 9, 0)),
    ("через 2 часа", at(2026, 12, 4, 17, 20)),
    ("через 30 минут", at(2026, 12, 4, 15, 50)),
    ("через час", at(2026, 12, 4, 16, 20)),
    ("через полчаса", at(2026, 12, 4, 15, 50)),
    ("через 1 час 30 минут", at(2026, 12, 4, 16, 50)),
    ("через 2 дня", at(2026, 12, 6, 15, 20)),
    ("2026-12-10T10:00", at(2026, 12, 10, 10, 0)),
    ("2026-12-10 10:00", at(2026, 12, 10, 10, 0)),
    ("2026-12-10T10:00:00", at(2026, 12, 10, 10, 0)),
    ("2026-12-10T10:00+03:00", at(2026, 12, 10, 12, 0)),
    ("2026-12-10T05:00Z", at(2026, 12, 10, 10, 0)),
    ("2026-12-10T10:00+05:00", at(2026, 12, 10, 10, 0)),
]


@pytest.mark.parametrize(("text", "expected"), ONCE)
def test_a_one_off_phrase_is_the_moment_a_person_means(text: str, expected: datetime) -> None:
    moment = once(text)
    assert moment == expected
    assert moment.tzinfo == EKB


def test_yo_and_e_are_the_same_letter() -> None:
    assert once("через 2 часа") == once("ЧЕРЕЗ 2 ЧАСА")
    assert parse_when("каждый четвёрг в 9:00", now=NOW, tz=EKB) == parse_when(
        "каждый четверг в 9:00", now=NOW, tz=EKB)


@pytest.mark.parametrize("text", ["сейчас", "Сейчас", "прямо сейчас", "немедленно", " сейчас! "])
def test_now(text: str) -> None:
    assert parse_when(text, now=NOW, tz=EKB) == Now()


RECURRING = [
    ("каждый месяц 1-го числа в 10:00", "0 10 1 * *", at(2027, 1, 1, 10, 0)),
    ("каждый понедельник в 9:00", "0 9 * * mon", at(2026, 12, 7, 9, 0)),
    ("каждый день в 9:00", "0 9 * * *", at(2026, 12, 5, 9, 0)),
    ("в 9:00 каждый понедельник", "0 9 * * mon", at(2026, 12, 7, 9, 0)),
    ("каждый понедельник в 9 утра", "0 9 * * mon", at(2026, 12, 7, 9, 0)),
    ("Каждый Четверг В 18:30", "30 18 * * thu", at(2026, 12, 10, 18, 30)),
    ("ежедневно в 16:00", "0 16 * * *", at(2026, 12, 4, 16, 0)),
    ("каждую среду в 17:00", "0 17 * * wed", at(2026, 12, 9, 17, 0)),
    ("каждую пятницу в 18:00", "0 18 * * fri", at(2026, 12, 4, 18, 0)),
    ("каждое воскресенье в 12:00", "0 12 * * sun", at(2026, 12, 6, 12, 0)),
    ("каждый будний день в 8:30", "30 8 * * mon-fri", at(2026, 12, 7, 8, 30)),
    ("по будням в 8:30", "30 8 * * mon-fri", at(2026, 12, 7, 8, 30)),
    ("по выходным в 11:00", "0 11 * * sat,sun", at(2026, 12, 5, 11, 0)),
    ("по понедельникам и средам в 9:00", "0 9 * * mon,wed", at(2026, 12, 7, 9, 0)),
    ("каждое 15-е число в 12:00", "0 12 15 * *", at(2026, 12, 15, 12, 0)),
    ("ежемесячно 1 числа в 10:00", "0 10 1 * *", at(2027, 1, 1, 10, 0)),
    ("1-го числа каждого месяца в 10:00", "0 10 1 * *", at(2027, 1, 1, 10, 0)),
    ("каждый последний день месяца в 10:00", "0 10 last * *", at(2026, 12, 31, 10, 0)),
    ("в последний день каждого месяца в 10:00", "0 10 last * *", at(2026, 12, 31, 10, 0)),
    ("каждый месяц 31-го числа в 10:00", "0 10 last * *", at(2026, 12, 31, 10, 0)),
    ("31-го числа каждого месяца в 10:00", "0 10 last * *", at(2026, 12, 31, 10, 0)),
    ("каждый месяц 30-го числа в 10:00", "0 10 30 * *", at(2026, 12, 30, 10, 0)),
    ("каждый год 1 сентября в 9:00", "0 9 1 9 *", at(2027, 9, 1, 9, 0)),
    ("0 10 1 * *", "0 10 1 * *", at(2027, 1, 1, 10, 0)),
    # standard cron counts weekdays from Sunday = 0; from_crontab from Monday = 0
    ("0 10 * * 1", "0 10 * * mon", at(2026, 12, 7, 10, 0)),
    ("0 10 * * 0", "0 10 * * sun", at(2026, 12, 6, 10, 0)),
    ("0 10 * * 7", "0 10 * * sun", at(2026, 12, 6, 10, 0)),
    ("0 10 * * 1-5", "0 10 * * mon-fri", at(2026, 12, 7, 10, 0)),
    ("0 10 * * 0-6", "0 10 * * *", at(2026, 12, 5, 10, 0)),
    ("0 10 * * */2", "0 10 * * tue,thu,sat,sun", at(2026, 12, 5, 10, 0)),
    ("0 10 * * 1,3", "0 10 * * mon,wed", at(2026, 12, 7, 10, 0)),
    ("0 10 * * MON", "0 10 * * mon", at(2026, 12, 7, 10, 0)),
    ("*/15 9-17 * * *", "*/15 9-17 * * *", at(2026, 12, 4, 15, 30)),
]


@pytest.mark.parametrize(("text", "cron", "first"), RECURRING)
def test_a_repeating_phrase_is_a_cron_and_its_first_time(
        text: str, cron: str, first: datetime) -> None:
    when = parse_when(text, now=NOW, tz=EKB)
    assert when == Recurring(cron=cron, tz="Asia/Yekaterinburg", first=first)
    trigger = CronTrigger.from_crontab(cron, timezone="Asia/Yekaterinburg")
    assert trigger.get_next_fire_time(None, NOW) == first


def test_the_31st_is_the_end_of_every_month_and_the_30th_skips_february() -> None:
    in_february = at(2027, 2, 10, 12, 0)
    last = parse_when("каждый месяц 31-го числа в 10:00", now=in_february, tz=EKB)
    thirtieth = parse_when("каждый месяц 30-го числа в 10:00", now=in_february, tz=EKB)
    assert isinstance(last, Recurring) and isinstance(thirtieth, Recurring)
    assert last.first == at(2027, 2, 28, 10, 0)
    assert thirtieth.first == at(2027, 3, 30, 10, 0)
    trigger = CronTrigger.from_crontab(last.cron, timezone=EKB)
    assert trigger.get_next_fire_time(None, at(2027, 4, 1, 0, 0)) == at(2027, 4, 30, 10, 0)


def test_a_weekday_that_is_today_is_today_while_its_time_is_ahead_else_next_week() -> None:
    friday_morning, friday_evening = at(2026, 12, 4, 10, 0), at(2026, 12, 4, 19, 0)
    assert once("в пятницу в 18:30", friday_morning) == at(2026, 12, 4, 18, 30)
    assert once("в пятницу в 18:30", friday_evening) == at(2026, 12, 11, 18, 30)
    assert once("до пятницы 18:00", friday_evening) == at(2026, 12, 11, 18, 0)


def test_a_year_less_date_is_next_year_only_when_passed_more_than_60_days_ago() -> None:
    assert once("4 октября в 9:00") == at(2027, 10, 4, 9, 0)  # 61 days ago
    assert "уже прошло" in refusal("5 октября в 9:00")  # 60 days ago: a mistake
    assert "уже прошло" in refusal("1 декабря в 9:00")
    assert once("1.1 в 9:00") == at(2027, 1, 1, 9, 0)


ERRORS = [
    ("1 декабря в 9:00", "1 декабря в 9:00 уже прошло (сейчас 4 декабря, 15:20). "
                         "Укажите будущее время, например «5 декабря в 9:00»"),
    ("сегодня в 15:00", "4 декабря в 15:00 уже прошло (сейчас 4 декабря, 15:20)"),
    ("10.12.2025 9:00", "10 декабря 2025 в 9:00 уже прошло"),
    ("2026-12-01T10:00", "1 декабря в 10:00 уже прошло"),
    ("2026-12-01T10:00+03:00", "1 декабря в 12:00 уже прошло"),
    ("в 10:00", "«в 10:00»: сегодня в 10:00 уже прошло (сейчас 15:20). Сегодня или завтра? "
                "Если завтра — напишите «завтра в 10:00», если сегодня — укажите время "
                "позже 15:20"),
    ("в 9 утра", "Сегодня или завтра?"),
    ("абракадабра", "Не понял «абракадабра». Например: «завтра в 10:00», «1 декабря в "
                    "9:00», «каждый месяц 1-го числа в 10:00»"),
    ("", "Не понял"),
    ("   ", "Не понял"),
    ("в следующую пятницу в 9:00", "Не понял"),
    ("32 декабря в 10:00", "«32 декабря» — такого числа нет: в декабре 31 день"),
    ("31 февраля в 10:00", "в феврале 28 или 29 дней"),
    ("31.04 в 10:00", "в апреле 30 дней"),
    ("10.13 в 10:00", "месяца 13 нет"),
    ("29 февраля 2027 в 10:00", "В 2027 году нет 29 февраля"),
    ("25:00", "«25:00» — такого времени нет: часы — от 0 до 23"),
    ("завтра в 25:00", "Понял «завтра», но «в 25:00» — такого времени нет"),
    ("завтра в 10:75", "такого времени нет"),
    ("завтра в 9 дня", "Понял «завтра», но «в 9 дня» — так не говорят"),
    ("завтра", "Понял «завтра», но не указано время. Например: «завтра в 10:00»"),
    ("1 декабря", "Понял «1 декабря», но не указано время"),
    ("2026-12-10", "не указано время"),
    ("2026-13-10T10:00", "такой даты или времени нет"),
    ("в четверг 11 декабря в 18:30", "11 декабря 2026 — пятница, а не четверг"),
    ("каждый понедельник", "Понял «каждый понедельник», но не указано время"),
    ("каждый месяц в 10:00", "Понял «каждый месяц», но не указано, какого числа"),
    ("каждый месяц 32-го числа в 10:00", "32-го числа не бывает"),
    ("каждый год 30 февраля в 9:00", "в феврале не бывает 30-го числа"),
    ("каждую весну в 9:00", "Не понял, когда повторять"),
    ("61 10 * * *", "Не понял расписание cron «61 10 * * *»"),
    ("0 10 * * 8", "день недели (0–7"),
    ("0 0 30 2 *", "не наступит никогда"),
    ("10.12.2099 10:00", "слишком далеко"),
    ("через 9999 недель", "слишком далеко"),
    ("через 0 минут", "это уже сейчас"),
]


@pytest.mark.parametrize(("text", "answer"), ERRORS)
def test_what_is_not_a_future_schedule_is_refused_in_russian(text: str, answer: str) -> None:
    assert answer in refusal(text)


def test_the_zone_decides_the_instant() -> None:
    ekb, msk = once("завтра в 10:00", tz=EKB), once("завтра в 10:00", tz=MSK)
    assert msk - ekb == timedelta(hours=2)
    assert msk.tzinfo == MSK and msk.hour == 10
    assert once("2026-12-10T10:00", tz=MSK) == at(2026, 12, 10, 10, 0, tz=MSK)
    when = parse_when("каждый день в 9:00", now=NOW, tz=MSK)
    assert isinstance(when, Recurring) and when.tz == "Europe/Moscow"
    assert when.first == at(2026, 12, 5, 9, 0, tz=MSK)  # 9:00 in Moscow is 11:00 here


def test_a_naive_now_is_local_time_in_the_zone() -> None:
    assert once("через 2 часа", now=datetime(2026, 12, 4, 15, 20)) == at(2026, 12, 4, 17, 20)


# --- daylight saving (Europe/Berlin: 2027-03-28 02:00 → 03:00, 2027-10-31 03:00 → 02:00) ---

BERLIN_WINTER = at(2027, 3, 20, 12, 0, tz=BERLIN)


def test_a_time_the_clocks_skip_is_refused() -> None:
    answer = refusal("28.03 в 2:30", BERLIN_WINTER, BERLIN)
    assert "28 марта в 2:30 не бывает: в эту ночь часы переводятся вперёд" in answer
    assert "«28 марта в 3:00»" in answer
    after = once("28.03 в 3:30", BERLIN_WINTER, BERLIN)
    assert after.utcoffset() == timedelta(hours=2)


def test_a_time_the_clocks_repeat_is_the_first_and_the_echo_says_so() -> None:
    moment = once("31.10 в 2:30", BERLIN_WINTER, BERLIN)
    assert moment.fold == 0 and moment.utcoffset() == timedelta(hours=2)
    echo = describe(Once(moment), tz=BERLIN, now=BERLIN_WINTER)
    assert echo == ("в воскресенье, 31 октября, в 2:30 (UTC+2); в эту ночь часы переводятся "
                    "назад и 2:30 бывает дважды — отправим в первый раз (UTC+2)")
    second = describe(Once(moment.replace(fold=1)), tz=BERLIN, now=BERLIN_WINTER)
    assert second.endswith("во второй раз (UTC+1)")


def test_in_hours_counts_real_time_across_the_change() -> None:
    before = at(2027, 3, 28, 1, 30, tz=BERLIN)
    assert once("через 2 часа", before, BERLIN) == at(2027, 3, 28, 4, 30, tz=BERLIN)
    assert once("2027-03-28T02:30+01:00", before, BERLIN) == at(2027, 3, 28, 3, 30, tz=BERLIN)


def test_a_repeating_time_in_berlin_keeps_its_wall_clock_across_the_change() -> None:
    when = parse_when("каждый день в 9:00", now=BERLIN_WINTER, tz=BERLIN)
    assert isinstance(when, Recurring)
    trigger = CronTrigger.from_crontab(when.cron, timezone=when.tz)
    after_change = trigger.get_next_fire_time(None, at(2027, 3, 29, 0, 0, tz=BERLIN))
    assert after_change is not None and after_change.hour == 9
    assert after_change.utcoffset() == timedelta(hours=2)


# --- the echo -------------------------------------------------------------------------------

def echo_of(text: str, *, now: datetime = NOW, tz: ZoneInfo = EKB, city: str | None = None) -> str:
    return describe(parse_when(text, now=now, tz=tz), tz=tz, now=now, city=city)


ECHOES = [
    ("сейчас", EKB, "сейчас"),
    ("в пятницу в 18:30", EKB, "сегодня, в пятницу, 4 декабря, в 18:30 (по Екатеринбургу)"),
    ("завтра в 10:00", MSK, "завтра, в субботу, 5 декабря, в 10:00 (по Москве)"),
    ("11.12 в 18:30", EKB, "в пятницу, 11 декабря, в 18:30 (по Екатеринбургу)"),
    ("1 января в 9:05", EKB, "в пятницу, 1 января 2027, в 9:05 (по Екатеринбургу)"),
    ("завтра в 10:00", ZoneInfo("Asia/Karachi"), "завтра, в субботу, 5 декабря, в 10:00 (UTC+5)"),
    ("завтра в 10:00", ZoneInfo("Asia/Kolkata"),
     "завтра, в субботу, 5 декабря, в 10:00 (UTC+5:30)"),
    ("завтра в 10:00", BERLIN, "завтра, в субботу, 5 декабря, в 10:00 (UTC+1)"),
    ("завтра в 10:00", ZoneInfo("UTC"), "завтра, в субботу, 5 декабря, в 10:00 (UTC)"),
    ("каждый месяц 1-го числа в 10:00", EKB,
     "каждый месяц 1-го числа в 10:00 (по Екатеринбургу), первая отправка — 1 января 2027"),
    ("каждый понедельник в 9:00", MSK,
     "каждый понедельник в 9:00 (по Москве), первая отправка — 7 декабря"),
    ("каждую среду в 17:00", EKB,
     "каждую среду в 17:00 (по Екатеринбургу), первая отправка — 9 декабря"),
    ("каждое воскресенье в 17:00", EKB,
     "каждое воскресенье в 17:00 (по Екатеринбургу), первая отправка — 6 декабря"),
    ("каждый день в 9:00", EKB,
     "каждый день в 9:00 (по Екатеринбургу), первая отправка — завтра, 5 декабря"),
    ("каждый день в 16:00", EKB,
     "каждый день в 16:00 (по Екатеринбургу), первая отправка — сегодня, 4 декабря"),
    ("каждый будний день в 8:30", EKB,
     "по будням в 8:30 (по Екатеринбургу), первая отправка — 7 декабря"),
    ("по понедельникам, средам и пятницам в 9:00", EKB,
     "по понедельникам, средам и пятницам в 9:00 (по Екатеринбургу), первая отправка — "
     "7 декабря"),
    ("каждый месяц 31-го числа в 10:00", EKB,
     "каждый месяц в последний день в 10:00 (по Екатеринбургу), первая отправка — 31 декабря; "
     "последний день — 31-е, 30-е, а в феврале 28-е или 29-е число"),
    ("каждый месяц 30-го числа в 10:00", EKB,
     "каждый месяц 30-го числа в 10:00 (по Екатеринбургу), первая отправка — 30 декабря; "
     "в феврале не отправляется — в нём нет 30-го числа"),
    ("каждый месяц 29-го числа в 10:00", EKB,
     "каждый месяц 29-го числа в 10:00 (по Екатеринбургу), первая отправка — 29 декабря; "
     "в феврале невисокосного года не отправляется — в нём нет 29-го числа"),
    ("каждый год 1 сентября в 9:00", EKB,
     "каждый год 1 сентября в 9:00 (по Екатеринбургу), первая отправка — 1 сентября 2027"),
    ("каждый день в 9:00", BERLIN,
     "каждый день в 9:00 (по времени Europe/Berlin), первая отправка — завтра, 5 декабря"),
    ("*/15 9-17 * * *", EKB, "по расписанию cron «*/15 9-17 * * *» (по Екатеринбургу), "
                            "первая отправка — сегодня, 4 декабря в 15:30"),
]


@pytest.mark.parametrize(("text", "tz", "expected"), ECHOES)
def test_the_echo_says_it_back_in_russian(text: str, tz: ZoneInfo, expected: str) -> None:
    now = NOW.astimezone(tz) if tz is not EKB else NOW
    assert echo_of(text, now=now, tz=tz) == expected


def test_the_echo_names_the_organisations_city_when_given() -> None:
    assert echo_of("в пятницу в 18:30", city="Перми") == (
        "сегодня, в пятницу, 4 декабря, в 18:30 (по Перми)")
    assert echo_of("каждый месяц 1-го числа в 10:00", city="Перми") == (
        "каждый месяц 1-го числа в 10:00 (по Перми), первая отправка — 1 января 2027")


# --- any text at all ------------------------------------------------------------------------

WORDS = ["в", "во", "до", "на", "через", "каждый", "каждую", "каждое", "ежемесячно", "по",
         "месяц", "месяца", "числа", "число", "последний", "день", "год", "сейчас", "завтра",
         "сегодня", "послезавтра", "пятницу", "понедельникам", "средам", "и", "будням",
         "декабря", "февраля", "утра", "вечера", "ночи", "дня", "часа", "минут", "полчаса",
         "10:00", "9", "31", "29", "0", "25:00", "10.12", "31.02.2027", "1-го", "15-е", "*",
         "*/2", "1-5", "0", "7", "mon", "last", "2026-12-10T10:00", "2026-12-10", "+03:00"]


def check_any(text: str, tz: ZoneInfo) -> None:
    try:
        when = parse_when(text, now=NOW, tz=tz)
    except WhenError as error:
        assert str(error)
        return
    assert describe(when, tz=tz, now=NOW)
    if isinstance(when, Recurring):
        trigger = CronTrigger.from_crontab(when.cron, timezone=when.tz)
        assert trigger.get_next_fire_time(None, NOW) == when.first
    if isinstance(when, Once):
        assert when.at > NOW and when.at.tzinfo == tz


ZONES = st.sampled_from([EKB, MSK, BERLIN, ZoneInfo("America/Sao_Paulo"), ZoneInfo("UTC")])


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=80), tz=ZONES)
def test_any_text_is_a_schedule_or_a_when_error(text: str, tz: ZoneInfo) -> None:
    check_any(text, tz)


@settings(max_examples=1500, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), max_size=7), tz=ZONES)
def test_any_mix_of_schedule_words_is_a_schedule_or_a_when_error(
        words: list[str], tz: ZoneInfo) -> None:
    check_any(" ".join(words), tz)


@settings(max_examples=400, deadline=None)
@given(fields=st.lists(st.sampled_from(["*", "0", "7", "1-5", "*/2", "5/3", "last", "mon",
                                        "31", "2", "1,3", "60", "0-6", "7-1", "*/0"]),
                       min_size=5, max_size=5))
def test_any_cron_accepted_is_one_from_crontab_reads(fields: list[str]) -> None:
    check_any(" ".join(fields), EKB)
