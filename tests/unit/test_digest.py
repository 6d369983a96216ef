"""The digest's content and calendar (issue 14, item 5) on a real SQLite file: a month's
staff reports in order with their authors and files, the campaigns created that month with
their reach (not October's, not the poll's own), the polls closed that month with their
votes; the 25th-day reminder and the 1st-day digest with an injected clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.digest.content import gather, union_of
from core.digest.month import Month, MonthError, digest_due, reminder_due
from core.digest.reports import without_report
from tests.digest_support import (
    NOVEMBER,
    OCTOBER_TITLE,
    QUESTION,
    REPORTS,
    STAFF,
    TITLES,
    make_month,
)
from tests.factories import REGION

PERM = ZoneInfo("Asia/Yekaterinburg")


async def test_the_month_holds_every_report_campaign_and_poll(engine: AsyncEngine) -> None:
    work = await make_month(engine)
    union, tz = await union_of(engine, "Asia/Yekaterinburg")
    content = await gather(engine, NOVEMBER, tz, union)
    assert content.union == REGION
    assert [r.text for r in content.reports] == [REPORTS[0][1], REPORTS[2][1], REPORTS[1][1]]
    assert content.authors == (STAFF["100000"], STAFF["100001"])
    files = content.reports[1].attachments
    assert [(f.filename, f.is_image) for f in files] == [("встреча.png", True),
                                                          ("план работы.docx", False)]
    assert [c.title for c in content.campaigns] == list(TITLES)
    assert OCTOBER_TITLE not in [c.title for c in content.campaigns]
    for line in content.campaigns:
        assert line.reach is not None
        assert line.reach.total.counts["targeted"] == 40
        assert 0 < line.reach.total.reached <= 40
    assert [p.question for p in content.polls] == [QUESTION]
    assert content.polls[0].counts == (3, 2)
    assert work.poll_id == content.polls[0].poll_id


async def test_a_month_with_nothing_is_empty(engine: AsyncEngine) -> None:
    await make_month(engine)
    content = await gather(engine, Month(2027, 2), PERM)
    assert content.empty


async def test_who_is_reminded(engine: AsyncEngine) -> None:
    await make_month(engine)
    assert await without_report(engine, NOVEMBER) == [("telegram", "100002")]
    assert len(await without_report(engine, Month(2026, 12))) == 3


@pytest.mark.parametrize(("local", "month"), [
    (datetime(2026, 11, 24, 23, 59), None),
    (datetime(2026, 11, 25, 9, 59), None),
    (datetime(2026, 11, 25, 10, 0), NOVEMBER),
    (datetime(2026, 11, 30, 23, 0), NOVEMBER),
    (datetime(2026, 12, 1, 10, 0), None),
])
def test_the_25th_day_reminder(local: datetime, month: Month | None) -> None:
    assert reminder_due(local.replace(tzinfo=PERM), PERM) == month


@pytest.mark.parametrize(("local", "month"), [
    (datetime(2026, 12, 1, 8, 59), None),
    (datetime(2026, 12, 1, 9, 0), NOVEMBER),
    (datetime(2026, 12, 7, 23, 0), NOVEMBER),
    (datetime(2026, 12, 8, 9, 0), None),
    (datetime(2027, 1, 1, 9, 30), Month(2026, 12)),
])
def test_the_first_day_digest(local: datetime, month: Month | None) -> None:
    assert digest_due(local.replace(tzinfo=PERM), PERM) == month


def test_months_are_read_and_named() -> None:
    assert Month.parse("2026-11").words == "ноябрь 2026"
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2026, 12).next() == Month(2027, 1)
    with pytest.raises(MonthError, match="2026-11"):
        Month.parse("ноябрь")
