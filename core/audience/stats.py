"""Members and reachable people per organisation level (district by default) and channel.

A person is reachable on a channel with an active contact there; unreachable with an active
contact on none of the channels shown. Erased people are not counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import Contact, Organization, Person


@dataclass(frozen=True)
class StatsRow:
    label: str
    members: int
    reachable: dict[str, int]  # channel -> people with an active contact there
    unreachable: int


@dataclass(frozen=True)
class AudienceStats:
    channels: tuple[str, ...]
    rows: tuple[StatsRow, ...]
    total: StatsRow


async def stats_channels(session: AsyncSession, configured: Sequence[str]) -> tuple[str, ...]:
    """The configured channels in their order, then any other channel that has contacts."""
    stored = await session.scalars(select(Contact.channel).distinct())
    return (*configured, *sorted(set(stored) - set(configured)))


async def _groups(session: AsyncSession, depth: int) -> dict[int, str]:
    """Organisation id -> label of its ancestor at `depth` (itself when shallower)."""
    orgs = (await session.execute(
        select(Organization.id, Organization.full_name, Organization.tree_path)
    )).all()
    names = {org_id: full_name for org_id, full_name, _ in orgs}
    regions = {tree_path.split("/")[1] for _, _, tree_path in orgs}
    groups: dict[int, str] = {}
    for org_id, _, tree_path in orgs:
        ancestors = tree_path.strip("/").split("/")
        label = names.get(int(ancestors[min(depth, len(ancestors)) - 1]), "?")
        _, _, below = label.partition("/")
        # One region: its name on every row says nothing, so rows are named below it.
        groups[org_id] = below if len(regions) == 1 and below else label
    return groups


async def _per_org(session: AsyncSession, channels: Sequence[str]) -> tuple[
    Counter[int], dict[int, Counter[str]], Counter[int]
]:
    living = Person.erased_at.is_(None)
    members_result = await session.execute(
        select(Person.org_id, func.count()).where(living).group_by(Person.org_id)
    )
    members = Counter({org_id: count for org_id, count in members_result})
    active = (living, Contact.status == "active", Contact.channel.in_(list(channels)))
    by_channel: dict[int, Counter[str]] = defaultdict(Counter)
    channel_result = await session.execute(
        select(Person.org_id, Contact.channel, func.count(distinct(Person.id)))
        .join(Contact, Contact.person_id == Person.id)
        .where(*active)
        .group_by(Person.org_id, Contact.channel)
    )
    for org_id, channel, count in channel_result:
        by_channel[org_id][channel] += count
    reachable_result = await session.execute(
        select(Person.org_id, func.count(distinct(Person.id)))
        .join(Contact, Contact.person_id == Person.id)
        .where(*active)
        .group_by(Person.org_id)
    )
    reachable = Counter({org_id: count for org_id, count in reachable_result})
    return members, by_channel, reachable


def _row(label: str, channels: Sequence[str], members: int, by_channel: Counter[str],
         reachable: int) -> StatsRow:
    return StatsRow(label, members, {c: by_channel[c] for c in channels}, members - reachable)


async def audience_stats(
    session: AsyncSession, configured: Sequence[str] = (), depth: int = 2
) -> AudienceStats:
    """Counts grouped at tree `depth` (1 region, 2 district, 3 organisation)."""
    channels = await stats_channels(session, configured)
    groups = await _groups(session, depth)
    members, by_channel, reachable = await _per_org(session, channels)
    group_members: Counter[str] = Counter()
    group_channels: dict[str, Counter[str]] = defaultdict(Counter)
    group_reachable: Counter[str] = Counter()
    for org_id, label in groups.items():
        group_members[label] += members[org_id]
        group_channels[label].update(by_channel.get(org_id, Counter()))
        group_reachable[label] += reachable[org_id]
    rows = tuple(
        _row(label, channels, group_members[label], group_channels[label], group_reachable[label])
        for label in sorted(group_members)
        if group_members[label]
    )
    total = _row(
        "total", channels, sum(members.values()),
        sum(by_channel.values(), Counter()), sum(reachable.values()),
    )
    return AudienceStats(channels, rows, total)
