"""Build a small union straight into the database (fast, for core tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.audience.directory import org_code
from core.audience.roles import Role
from core.storage.models import Contact, Organization, Person

REGION = "Пермская краевая организация"


@dataclass
class Union:
    region_id: int = 0
    districts: dict[str, int] = field(default_factory=dict)
    schools: dict[str, int] = field(default_factory=dict)
    people: list[int] = field(default_factory=list)
    contacts: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, ext) -> id


async def _org(
    engine: AsyncEngine, kind: str, name: str, full: str, parent: int | None, parent_path: str
) -> int:
    code = org_code(tuple(full.split("/")))
    async with engine.begin() as conn:
        org_id = (
            await conn.execute(
                insert(Organization)
                .values(
                    kind=kind,
                    name=name,
                    full_name=full,
                    code=code,
                    parent_id=parent,
                    tree_path="?",
                )
                .returning(Organization.id)
            )
        ).scalar_one()
        from sqlalchemy import update

        await conn.execute(
            update(Organization)
            .where(Organization.id == org_id)
            .values(tree_path=f"{parent_path}{org_id}/")
        )
    return int(org_id)


async def make_union(
    engine: AsyncEngine,
    *,
    districts: int = 3,
    schools_per_district: int = 3,
) -> Union:
    union = Union()
    union.region_id = await _org(engine, "region", REGION, REGION, None, "/")
    for d in range(districts):
        name = f"Район {d + 1}"
        full = f"{REGION}/{name}"
        did = await _org(engine, "district", name, full, union.region_id, f"/{union.region_id}/")
        union.districts[name] = did
        for s in range(schools_per_district):
            school = f"Школа {d + 1}-{s + 1}"
            union.schools[school] = await _org(
                engine, "primary", school, f"{full}/{school}", did, f"/{union.region_id}/{did}/"
            )
    return union


async def add_members(
    engine: AsyncEngine,
    union: Union,
    count: int,
    channels: dict[str, float],
    *,
    status: str = "active",
    roles: int = int(Role.MEMBER),
    start: int = 0,
) -> list[int]:
    """`count` people spread over the schools; channel -> share of people with a contact.

    External ids are "<n>" for telegram/vk and "v<n>" for viber-like channels, n = index.
    """
    schools = list(union.schools.values())
    people = [
        {
            "full_name": f"Член {start + i}",
            "org_id": schools[(start + i) % len(schools)],
            "roles": roles,
            "member_id": f"M{start + i}",
            "member_id_key": f"M{start + i}",
        }
        for i in range(count)
    ]
    async with engine.begin() as conn:
        ids = [
            int(r)
            for r in (
                await conn.execute(
                    insert(Person).returning(Person.id, sort_by_parameter_order=True), people
                )
            ).scalars()
        ]
        rows = []
        for i, person_id in enumerate(ids):
            n = start + i
            for channel, share in channels.items():
                if (n * 7919 % 1000) / 1000 < share:
                    rows.append(
                        {
                            "person_id": person_id,
                            "channel": channel,
                            "external_id": str(100000 + n),
                            "status": status,
                        }
                    )
        if rows:
            result = await conn.execute(
                insert(Contact).returning(Contact.id, sort_by_parameter_order=True), rows
            )
            for row, cid in zip(rows, result.scalars(), strict=True):
                union.contacts[(row["channel"], row["external_id"])] = int(cid)
    union.people.extend(ids)
    return ids
