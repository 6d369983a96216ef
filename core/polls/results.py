"""A poll's results: votes per option overall and per district, and turnout (voters /
people the poll reached). Named polls count `votes`; an open anonymous poll its ballots;
a closed anonymous poll only `poll_tallies` — its ballots no longer exist."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.polls import texts
from core.polls.spec import PollError
from core.storage.models import Organization
from core.storage.poll_tables import Poll

Ballots = list[tuple[int | None, tuple[int, ...]]]  # (district id, options) per voter


@dataclass(frozen=True)
class DistrictLine:
    district_id: int | None
    name: str
    voters: int
    counts: tuple[int, ...]


@dataclass(frozen=True)
class PollResults:
    poll_id: int
    question: str
    options: tuple[str, ...]
    multiple: bool
    anonymous: bool
    closes_at: datetime | None
    closed_at: datetime | None
    reached: int  # people the poll reached (a person on two messengers once)
    voters: int
    counts: tuple[int, ...]
    districts: tuple[DistrictLine, ...]

    @property
    def turnout(self) -> float:
        return self.voters / self.reached if self.reached else 0.0


# People reached: the voters the poll's landings stand for (a person once, however many
# messengers they got it on).
_REACHED = (
    "SELECT COUNT(DISTINCT COALESCE('p:' || c.person_id, 'c:' || c.id)) FROM poll_messages pm "
    "JOIN contacts c ON c.id = pm.contact_id WHERE pm.poll_id = :poll"
)
_NAMED = (
    "SELECT CASE WHEN o.kind = 'primary' THEN o.parent_id ELSE o.id END, v.option_ids "
    "FROM votes v LEFT JOIN people p ON p.id = v.person_id "
    "LEFT JOIN organizations o ON o.id = p.org_id WHERE v.poll_id = :poll"
)
_BALLOTS = "SELECT district_id, option_ids FROM poll_ballots WHERE poll_id = :poll"
_TALLIES = "SELECT district_id, option, count FROM poll_tallies WHERE poll_id = :poll"


async def poll_results(engine: AsyncEngine, poll_id: int) -> PollResults:
    """The live (or final) results; PollError when there is no such poll."""
    from core.polls.ballot.model import as_options

    async with engine.connect() as conn:
        poll = (await conn.execute(select(Poll).where(Poll.id == poll_id))).one_or_none()
        if poll is None:
            raise PollError(texts.NOT_FOUND.format(poll_id=poll_id))
        reached = int((await conn.execute(text(_REACHED), {"poll": poll_id})).scalar() or 0)
        if poll.anonymous and poll.ballot_salt is None:
            voters, counts, per = await _tallied(conn, poll_id, len(poll.options))
        else:
            query = _BALLOTS if poll.anonymous else _NAMED
            rows = (await conn.execute(text(query), {"poll": poll_id})).all()
            ballots: Ballots = [(_id(d), as_options(o)) for d, o in rows if as_options(o)]
            voters, counts, per = _counted(ballots, len(poll.options))
        names = await _names(conn, per)
    districts = tuple(sorted(
        (DistrictLine(d, names.get(d or 0, texts.NO_DISTRICT), v, c) for d, (v, c) in per.items()),
        key=lambda line: line.name))
    return PollResults(poll.id, poll.question, tuple(poll.options), poll.allows_multiple,
                       poll.anonymous, poll.closes_at, poll.closed_at, reached, voters,
                       counts, districts)


PerDistrict = dict[int | None, tuple[int, tuple[int, ...]]]


def _counted(ballots: Ballots, size: int) -> tuple[int, tuple[int, ...], PerDistrict]:
    overall: Counter[int] = Counter()
    voters: Counter[int | None] = Counter()
    per: dict[int | None, Counter[int]] = {}
    for district, options in ballots:
        voters[district] += 1
        overall.update(options)
        per.setdefault(district, Counter()).update(options)
    return len(ballots), _row(overall, size), {
        d: (voters[d], _row(c, size)) for d, c in per.items()}


async def _tallied(
    conn: AsyncConnection, poll_id: int, size: int
) -> tuple[int, tuple[int, ...], PerDistrict]:
    """A closed anonymous poll: option -1 holds the voters of each district."""
    voters: Counter[int | None] = Counter()
    per: dict[int | None, Counter[int]] = {}
    for row in (await conn.execute(text(_TALLIES), {"poll": poll_id})).all():
        key, option, count = _id(row[0]), int(row[1]), int(row[2])
        if option < 0:
            voters[key] += count
        else:
            per.setdefault(key, Counter())[option] += count
    overall: Counter[int] = Counter()
    for counts in per.values():
        overall.update(counts)
    return sum(voters.values()), _row(overall, size), {
        d: (voters[d], _row(per.get(d, Counter()), size)) for d in voters}


def _id(district: object) -> int | None:
    return int(str(district)) if district else None


def _row(counts: Counter[int], size: int) -> tuple[int, ...]:
    return tuple(counts.get(i, 0) for i in range(size))


async def _names(conn: AsyncConnection, per: Iterable[int | None]) -> dict[int, str]:
    ids = [d for d in per if d]
    if not ids:
        return {}
    rows = await conn.execute(select(Organization.id, Organization.name)
                              .where(Organization.id.in_(ids)))
    return {int(i): str(name) for i, name in rows.all()}
