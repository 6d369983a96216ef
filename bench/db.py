"""Benchmark databases: a fresh migrated SQLite file, a union tree, members built set-based.

Members are inserted with INSERT … SELECT over a recursive CTE (no Python loop over
members): a million people and their contacts take seconds, not the hours that
row-by-row inserts would. Contact external ids are `first_external + i` as text, the same
ids the emulators register (bench.platforms), so every delivery reaches a known member.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, cast, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.audience.roles import Role
from core.campaigns.store import NewCampaign, create_campaign
from core.ports import Capabilities
from core.sending.runs import materialise, start_run
from core.storage.engine import create_engine
from core.storage.models import Contact, Organization, Person
from core.storage.schema import upgrade

REGION = "Пермская краевая организация Профсоюза образования"
LEAFLET = (
    "**Информационный листок** за декабрь: индексация зарплаты, отпуск 56 дней, "
    "школа молодого профсоюзного лидера. Вопросы пишите прямо сюда — ответит профком."
)
_TEMPLATE: dict[str, Path] = {}


async def fresh_database(directory: Path, name: str = "rupor.sqlite3") -> str:
    """A migrated SQLite file in `directory` (alembic runs once per process, then copies)."""
    if "path" not in _TEMPLATE:
        template = directory / "template.sqlite3"
        await asyncio.to_thread(upgrade, f"sqlite:///{template}")
        _TEMPLATE["path"] = template
    target = directory / name
    serial = 1
    while target.exists():  # never copy a fresh file over a database (and its WAL) in use
        serial += 1
        target = directory / f"{Path(name).stem}-{serial}{Path(name).suffix}"
    shutil.copyfile(_TEMPLATE["path"], target)
    return f"sqlite:///{target}"


@dataclass(frozen=True)
class Cohort:
    """`count` members reachable on `channel` with external ids first_external + i."""

    channel: str
    count: int
    first_external: int
    prefix: str  # member_id prefix; distinct per cohort so member ids never collide


async def _org(engine: AsyncEngine, kind: str, name: str, parent: int | None, path: str,
               full: str) -> int:
    async with engine.begin() as conn:
        org_id = (await conn.execute(
            insert(Organization).values(kind=kind, name=name, full_name=full,
                                        code=kind[0] + hashlib.sha1(full.encode()).hexdigest()[:12],
                                        parent_id=parent, tree_path="?")
            .returning(Organization.id)
        )).scalar_one()
        await conn.execute(update(Organization).where(Organization.id == org_id)
                           .values(tree_path=f"{path}{org_id}/"))
    return int(org_id)


async def build_union(engine: AsyncEngine, districts: int = 5, schools: int = 12) -> list[int]:
    """A region, `districts` districts of `schools` schools each; returns the school ids."""
    region = await _org(engine, "region", REGION, None, "/", REGION)
    school_ids = []
    for d in range(1, districts + 1):
        name = f"Район {d}"
        district = await _org(engine, "district", name, region, f"/{region}/",
                              f"{REGION}/{name}")
        for s in range(1, schools + 1):
            school = f"Школа № {s}"
            school_ids.append(await _org(engine, "primary", school, district,
                                         f"/{region}/{district}/", f"{REGION}/{name}/{school}"))
    return school_ids


async def add_cohort(engine: AsyncEngine, schools: Sequence[int], cohort: Cohort) -> None:
    """People and one active contact each, in two INSERT … SELECT statements."""
    if cohort.count <= 0:
        return
    n = select(literal(0).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < cohort.count - 1))
    member_id = literal(cohort.prefix) + cast(n.c.i, String)
    # Schools are built in one go, so their ids are consecutive.
    first, size = min(schools), len(schools)
    people = select(member_id, member_id, literal("Член Профсоюза ") + cast(n.c.i, String),
                    literal(first) + n.c.i % size, literal(int(Role.MEMBER)))
    offset = len(cohort.prefix) + 1
    contacts = select(
        Person.id, literal(cohort.channel),
        cast(func.substr(Person.member_id, offset) + cohort.first_external, String),
        literal("active"),
    ).where(Person.member_id.like(cohort.prefix + "%"))
    async with engine.begin() as conn:
        await conn.execute(insert(Person).from_select(
            ["member_id", "member_id_key", "full_name", "org_id", "roles"], people))
        await conn.execute(insert(Contact).from_select(
            ["person_id", "channel", "external_id", "status"], contacts))


def external_ids(cohort: Cohort) -> range:
    return range(cohort.first_external, cohort.first_external + cohort.count)


async def populate(url: str, cohorts: Sequence[Cohort]) -> None:
    """The union and every cohort in the database at `url`."""
    engine = create_engine(url)
    try:
        schools = await build_union(engine)
        for cohort in cohorts:
            await add_cohort(engine, schools, cohort)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class PreparedRun:
    campaign_id: int
    run_id: int
    deliveries: int
    materialise_s: float


async def prepare_run(engine: AsyncEngine, capabilities: Mapping[str, Capabilities],
                      text: str = LEAFLET) -> PreparedRun:
    """A leaflet to everybody on these channels, its run started and materialised."""
    channels = tuple(capabilities)
    campaign_id = await create_campaign(
        engine, NewCampaign(text=text, title="Листок · бенчмарк", channels=channels,
                            created_by="bench"), capabilities)
    run = await start_run(engine, campaign_id, datetime.now(UTC), list(channels))
    began = time.perf_counter()
    count = await materialise(engine, run.run_id)
    return PreparedRun(campaign_id, run.run_id, count, time.perf_counter() - began)
