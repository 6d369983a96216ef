"""What the digest of a month holds: the union's name, the staff reports, the campaigns
created that month with the reach of their latest run, and the polls closed that month
with their results — read, never changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.digest.month import Month
from core.digest.reports import Report, reports_of
from core.polls.results import PollResults, poll_results
from core.reach.report import ReachReport, reach_report
from core.storage.models import Campaign, Organization
from core.storage.poll_tables import Poll

DIGEST_KIND = "digest"  # the campaign that sends a digest is not news of its own month
NOT_IN_DIGEST = ("poll", DIGEST_KIND)  # polls are listed with their results instead


@dataclass(frozen=True)
class CampaignLine:
    campaign_id: int
    title: str
    created_at: datetime
    status: str
    reach: ReachReport | None  # None: not sent yet


@dataclass(frozen=True)
class MonthContent:
    month: Month
    union: str
    reports: tuple[Report, ...]
    campaigns: tuple[CampaignLine, ...]
    polls: tuple[PollResults, ...]

    @property
    def empty(self) -> bool:
        return not (self.reports or self.campaigns or self.polls)

    @property
    def authors(self) -> tuple[str, ...]:
        """Each reporting staff member once, in the order they first reported."""
        return tuple(dict.fromkeys(report.author for report in self.reports))


async def union_of(engine: AsyncEngine, default_tz: str) -> tuple[str, ZoneInfo]:
    """The union's name (its region organisation) and time zone (the region's, else
    `default_tz`)."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(Organization.name, Organization.timezone)
                                  .where(Organization.kind == "region")
                                  .order_by(Organization.id).limit(1))).first()
    if row is None:
        return "", ZoneInfo(default_tz)
    return str(row.name), ZoneInfo(row.timezone or default_tz)


async def gather(engine: AsyncEngine, month: Month, tz: ZoneInfo, union: str = ""
                 ) -> MonthContent:
    """Everything the digest of `month` (its days in `tz`) holds."""
    start, end = (moment.astimezone(UTC) for moment in month.bounds(tz))
    async with engine.connect() as conn:
        campaigns = (await conn.execute(
            select(Campaign.id, Campaign.title, Campaign.created_at, Campaign.status)
            .where(Campaign.created_at >= start, Campaign.created_at < end,
                   Campaign.kind.not_in(NOT_IN_DIGEST), Campaign.status != "draft")
            .order_by(Campaign.created_at, Campaign.id))).all()
        polls = (await conn.execute(
            select(Poll.id).where(Poll.closed_at >= start, Poll.closed_at < end)
            .order_by(Poll.closed_at, Poll.id))).scalars().all()
    lines = tuple([CampaignLine(row.id, row.title, row.created_at, row.status,
                                await reach_report(engine, row.id)) for row in campaigns])
    results = tuple([await poll_results(engine, poll_id) for poll_id in polls])
    return MonthContent(month, union, tuple(await reports_of(engine, month)), lines, results)
