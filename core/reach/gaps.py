"""The gap of one run: how many people it reached, and who it did not — the schools with
the most people not reached, and the people with no reachable messenger at all."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.reach.report import RANKS, REACHED

_REACHED_RANK = min(RANKS[status] for status in REACHED)
_RANK_SQL = "CASE status " + " ".join(f"WHEN '{s}' THEN {r}" for s, r in RANKS.items()) + " END"
_PER_ORG = (
    "SELECT p.org_id, o.name, COUNT(*) AS people, "
    f"SUM(CASE WHEN b.best >= {_REACHED_RANK} THEN 1 ELSE 0 END) AS reached, "
    f"SUM(CASE WHEN b.best = {RANKS['skipped']} THEN 1 ELSE 0 END) AS unreachable "
    f"FROM (SELECT person_id, MAX({_RANK_SQL}) AS best FROM deliveries "
    "WHERE run_id = :run AND person_id IS NOT NULL GROUP BY person_id) b "
    "JOIN people p ON p.id = b.person_id LEFT JOIN organizations o ON o.id = p.org_id "
    "GROUP BY p.org_id, o.name"
)


@dataclass(frozen=True)
class SchoolGap:
    name: str
    not_reached: int
    people: int


@dataclass(frozen=True)
class RunGap:
    people: int
    reached: int
    unreachable: int  # no active account on a messenger the run used
    schools: tuple[SchoolGap, ...]  # the most not reached first

    @property
    def not_reached(self) -> int:
        return self.people - self.reached

    @property
    def share(self) -> float:
        return self.reached / self.people if self.people else 0.0


async def run_gap(conn: AsyncConnection, run_id: int, top: int = 5) -> RunGap:
    """Each person once, by their best outcome over their messengers (as the reach report)."""
    rows = (await conn.execute(text(_PER_ORG), {"run": run_id})).all()
    people = sum(int(row.people) for row in rows)
    reached = sum(int(row.reached or 0) for row in rows)
    unreachable = sum(int(row.unreachable or 0) for row in rows)
    gaps = sorted((SchoolGap(str(row.name or "—"), int(row.people) - int(row.reached or 0),
                             int(row.people)) for row in rows),
                  key=lambda gap: (-gap.not_reached, gap.name))
    return RunGap(people, reached, unreachable,
                  tuple(gap for gap in gaps[:top] if gap.not_reached > 0))
