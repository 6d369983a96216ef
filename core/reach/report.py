"""Reach: who was actually reached, person by person, by their best outcome.

read > delivered > sent > uncertain > in progress > failed > blocked/unsubscribed
> wrong id (the platform knows no such user: our list is wrong) > cancelled > unreachable.
A person on two messengers counts once. "Flagged" counts people whose delivery was at some
point uncertain (it may have arrived twice), even after a resend.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.storage.models import Campaign, CampaignRun, Organization

# Rank of each delivery status; a person's best outcome is the highest rank.
RANKS = {
    "read": 10,
    "delivered": 9,
    "sent": 8,
    "uncertain": 7,
    "pending": 6,
    "claimed": 6,
    "paused": 6,  # a paused campaign's deliveries (core.campaigns.scheduled)
    "failed": 5,
    "blocked": 4,
    "unsubscribed": 4,
    "wrong_id": 3,
    "cancelled": 2,
    "skipped": 1,
}
CATEGORY = {
    10: "read",
    9: "delivered",
    8: "sent",
    7: "uncertain",
    6: "in_progress",
    5: "failed",
    4: "blocked",
    3: "wrong_id",
    2: "cancelled",
    1: "unreachable",
}
REACHED = ("read", "delivered", "sent")
COLUMNS = (
    "targeted",
    "read",
    "delivered",
    "sent",
    "uncertain",
    "in_progress",
    "failed",
    "blocked",
    "wrong_id",
    "cancelled",
    "unreachable",
    "flagged",
)

_RANK_SQL = "CASE status " + " ".join(f"WHEN '{s}' THEN {r}" for s, r in RANKS.items()) + " END"
_FLAG_SQL = "MAX(CASE WHEN was_uncertain OR status = 'uncertain' THEN 1 ELSE 0 END)"


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, best: int, flagged: int, people: int) -> None:
        self.counts["targeted"] += people
        self.counts[CATEGORY.get(best, "unreachable")] += people
        if flagged:
            self.counts["flagged"] += people

    def merge(self, other: Tally) -> None:
        self.counts.update(other.counts)

    @property
    def reached(self) -> int:
        return sum(self.counts[c] for c in REACHED)

    @property
    def share(self) -> float:
        return self.reached / self.counts["targeted"] if self.counts["targeted"] else 0.0


@dataclass
class OrgLine:
    org_id: int
    name: str
    kind: str
    tally: Tally
    schools: list[OrgLine] = field(default_factory=list)


@dataclass
class ReachReport:
    campaign_id: int
    title: str
    run_id: int
    run_status: str
    total: Tally
    channels: dict[str, Tally]
    districts: list[OrgLine]


async def latest_run(engine: AsyncEngine, campaign_id: int) -> tuple[Campaign, CampaignRun] | None:
    async with AsyncSession(engine) as session:
        row = (
            await session.execute(
                select(Campaign, CampaignRun)
                .join(CampaignRun, CampaignRun.campaign_id == Campaign.id)
                .where(Campaign.id == campaign_id)
                .order_by(CampaignRun.id.desc())
                .limit(1)
            )
        ).first()
    return None if row is None else (row[0], row[1])


async def reach_report(engine: AsyncEngine, campaign_id: int) -> ReachReport | None:
    """The reach of the campaign's latest run, per channel, district and school."""
    found = await latest_run(engine, campaign_id)
    if found is None:
        return None
    campaign, run = found
    async with engine.connect() as conn:
        per_org = (await conn.execute(text(_per_org_sql()), {"run": run.id})).all()
        per_channel = (await conn.execute(text(_per_channel_sql()), {"run": run.id})).all()
    async with AsyncSession(engine) as session:
        orgs = {o.id: o for o in (await session.execute(select(Organization))).scalars()}
    total, by_org = Tally(), dict[int, Tally]()
    for row in per_org:
        org_id, best, flagged, people = (int(v) for v in row)
        by_org.setdefault(org_id, Tally()).add(best, flagged, people)
        total.add(best, flagged, people)
    channels: dict[str, Tally] = {}
    for row in per_channel:
        best, flagged, people = (int(v) for v in row[1:])
        channels.setdefault(str(row[0]), Tally()).add(best, flagged, people)
    return ReachReport(
        campaign.id,
        campaign.title,
        run.id,
        run.status,
        total,
        dict(sorted(channels.items())),
        _districts(by_org, orgs),
    )


def _per_org_sql() -> str:
    return (
        "SELECT p.org_id, b.best, b.flagged, COUNT(*) FROM ("
        f"SELECT person_id, MAX({_RANK_SQL}) AS best, {_FLAG_SQL} AS flagged "
        "FROM deliveries WHERE run_id = :run AND person_id IS NOT NULL GROUP BY person_id) b "
        "JOIN people p ON p.id = b.person_id GROUP BY p.org_id, b.best, b.flagged"
    )


def _per_channel_sql() -> str:
    return (
        "SELECT channel, best, flagged, COUNT(*) FROM ("
        f"SELECT person_id, channel, MAX({_RANK_SQL}) AS best, {_FLAG_SQL} AS flagged "
        "FROM deliveries WHERE run_id = :run AND channel IS NOT NULL "
        "GROUP BY person_id, channel) c GROUP BY channel, best, flagged"
    )


def _district_of(org: Organization, orgs: dict[int, Any]) -> Organization:
    """The district-level ancestor (or the org itself when it sits higher)."""
    node = org
    while node.kind == "primary" and node.parent_id is not None:
        node = orgs[node.parent_id]
    return node


def _districts(by_org: dict[int, Tally], orgs: dict[int, Any]) -> list[OrgLine]:
    lines: dict[int, OrgLine] = {}
    for org_id, tally in by_org.items():
        org = orgs[org_id]
        district = _district_of(org, orgs)
        line = lines.setdefault(
            district.id, OrgLine(district.id, district.name, district.kind, Tally())
        )
        line.tally.merge(tally)
        if org.id != district.id:
            line.schools.append(OrgLine(org.id, org.name, org.kind, tally))
    for line in lines.values():
        line.schools.sort(key=lambda s: s.name)
    return sorted(lines.values(), key=lambda d: d.name)
