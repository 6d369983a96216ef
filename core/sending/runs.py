"""Campaign runs: idempotent start and set-based, resumable materialising of deliveries."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from core.audience.segments import parse_segment, resolve_segment, segment_people
from core.storage.engine import writing
from core.storage.models import Campaign, CampaignRun, Contact, Delivery, Person, utcnow

log = logging.getLogger("rupor.runs")

# Persons per materialising transaction: large enough to be fast, small enough that the
# senders and webhook handlers never wait long for the SQLite write lock.
MATERIALISE_CHUNK = 100_000
# Contacts a run records: active ones are sent to; the others (blocked, unsubscribed, a
# wrong id) are written as such without a send, so the report says why they were missed.
RECORDED_CONTACTS = ("active", "blocked", "unsubscribed", "unreachable")


@dataclass(frozen=True)
class RunStart:
    run_id: int
    created: bool


async def start_run(
    engine: AsyncEngine, campaign_id: int, scheduled_for: datetime, channels: Sequence[str]
) -> RunStart:
    """Insert the run once (a second call for the same slot returns the same run)."""
    async with engine.begin() as conn:
        existing = await _run_id(conn, campaign_id, scheduled_for)
        if existing is not None:
            return RunStart(existing, created=False)
        values = {
            "campaign_id": campaign_id,
            "scheduled_for": scheduled_for,
            "channels": list(channels),
            "status": "materialising",
            "started_at": utcnow(),
        }
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(CampaignRun).values(values).on_conflict_do_nothing()
        else:
            stmt = insert(CampaignRun).values(values).prefix_with("OR IGNORE")
        await conn.execute(stmt)
        run_id = await _run_id(conn, campaign_id, scheduled_for)
        assert run_id is not None
        return RunStart(run_id, created=True)


async def _run_id(conn: AsyncConnection, campaign_id: int, at: datetime) -> int | None:
    query = select(CampaignRun.id).where(
        CampaignRun.campaign_id == campaign_id, CampaignRun.scheduled_for == at
    )
    return (await conn.execute(query)).scalar_one_or_none()


def _insert(conn: AsyncConnection) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the connection's dialect."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(Delivery)


_COLUMNS = [
    "run_id",
    "person_id",
    "contact_id",
    "channel",
    "recipient",
    "status",
    "attempts",
    "next_attempt_at",
    "was_uncertain",
]


def _rank(channels: Sequence[str]) -> Any:
    return case(
        {name: i for i, name in enumerate(channels)}, value=Contact.channel, else_=len(channels)
    )


def _contact_rows(run_id: int, routing: str, channels: Sequence[str], people: Any) -> Any:
    """Deliveries for one chunk: every contact on the run's channels (active ones pending,
    blocked/unsubscribed/wrong-id ones recorded as such), or with failover only the first
    active."""
    status = case(
        (Contact.status == "active", literal("pending")),
        (Contact.status == "unreachable", literal("wrong_id")),
        else_=Contact.status,
    )
    where = and_(
        Contact.person_id.in_(people),
        Contact.kind == "user",
        Contact.channel.in_(channels),
        Contact.status.in_(RECORDED_CONTACTS),
    )
    now = time.time()
    if routing != "failover":
        return select(
            literal(run_id),
            Contact.person_id,
            Contact.id,
            Contact.channel,
            Contact.external_id,
            status,
            literal(0),
            literal(now),
            false(),
        ).where(where)
    ranked = (
        select(
            Contact.person_id,
            Contact.id,
            Contact.channel,
            Contact.external_id,
            status.label("st"),
            Contact.status.label("cs"),
            func.row_number()
            .over(
                partition_by=(Contact.person_id, Contact.status == "active"),
                order_by=_rank(channels),
            )
            .label("rn"),
        )
        .where(where)
        .subquery()
    )
    return select(
        literal(run_id),
        ranked.c.person_id,
        ranked.c.id,
        ranked.c.channel,
        ranked.c.external_id,
        ranked.c.st,
        literal(0),
        literal(now),
        false(),
    ).where(or_(ranked.c.cs != "active", ranked.c.rn == 1))


def _unreachable_rows(run_id: int, channels: Sequence[str], people: Any) -> Any:
    """People of the chunk with no contact on the run's channels that could be tried."""
    person = people.subquery()
    usable = select(Contact.id).where(
        Contact.person_id == person.c.id,
        Contact.kind == "user",
        Contact.channel.in_(list(channels)),
        Contact.status.in_(RECORDED_CONTACTS),
    )
    return select(
        literal(run_id),
        person.c.id,
        null(),
        null(),
        null(),
        literal("skipped"),
        literal(0),
        literal(time.time()),
        false(),
    ).where(~exists(usable))


async def materialise(engine: AsyncEngine, run_id: int, *, chunk: int = MATERIALISE_CHUNK) -> int:
    """Fill the run's deliveries in person-id chunks, each committed with its progress mark.

    A crash leaves whole chunks only; calling this again resumes after the last one.
    """
    async with AsyncSession(engine) as session:
        run, campaign = await _load(session, run_id)
        resolved = await resolve_segment(session, parse_segment(campaign.audience))
        top = (await session.execute(select(func.max(Person.id)))).scalar() or 0
    done = run.materialised_upto
    inserted = 0
    while done < top:
        upper = done + chunk
        inserted += await _chunk(engine, run, campaign.routing, resolved, done, upper)
        done = upper
    async with engine.begin() as conn:
        await conn.execute(
            update(CampaignRun)
            .where(CampaignRun.id == run_id, CampaignRun.status == "materialising")
            .values(status="sending")
        )
    log.info("запуск №%s рассылки №%s: записано %s доставок", run_id, campaign.id, inserted,
             extra={"event": "run.materialised", "run_id": run_id, "campaign_id": campaign.id,
                    "deliveries": inserted})
    return inserted


async def _load(session: AsyncSession, run_id: int) -> tuple[CampaignRun, Campaign]:
    row = (
        await session.execute(
            select(CampaignRun, Campaign)
            .join(Campaign, Campaign.id == CampaignRun.campaign_id)
            .where(CampaignRun.id == run_id)
        )
    ).one()
    return row[0], row[1]


async def _chunk(
    engine: AsyncEngine, run: CampaignRun, routing: str, resolved: Any, low: int, high: int
) -> int:
    channels = [str(c) for c in run.channels]
    people = segment_people(resolved).where(Person.id > low, Person.id <= high)
    async with writing(engine) as conn:
        # Optimistic claim of this chunk: if another process already did it, do nothing.
        moved = await conn.execute(
            update(CampaignRun)
            .where(CampaignRun.id == run.id, CampaignRun.materialised_upto == low)
            .values(materialised_upto=high)
        )
        if moved.rowcount == 0:
            return 0
        inserted = 0
        if channels:
            rows = _contact_rows(run.id, routing, channels, people)
            result = await conn.execute(
                _insert(conn).from_select(_COLUMNS, rows).on_conflict_do_nothing()
            )
            inserted += max(result.rowcount, 0)
        result = await conn.execute(
            insert(Delivery).from_select(_COLUMNS, _unreachable_rows(run.id, channels, people))
        )
        await _hold_if_paused(conn, run)
        return inserted + max(result.rowcount, 0)


async def _hold_if_paused(conn: AsyncConnection, run: CampaignRun) -> None:
    """A campaign paused while its run was materialising: the new rows wait too."""
    status = (await conn.execute(
        select(Campaign.status).where(Campaign.id == run.campaign_id))).scalar_one()
    if status == "paused":
        await conn.execute(update(Delivery).where(
            Delivery.run_id == run.id, Delivery.status == "pending").values(status="paused"))


async def failover(
    conn: AsyncConnection, run_id: int, person_ids: Sequence[int], channels: Sequence[str]
) -> int:
    """Queue each person's next active contact not yet tried in this run."""
    if not person_ids or not channels:
        return 0
    tried = select(Delivery.id).where(Delivery.run_id == run_id, Delivery.contact_id == Contact.id)
    ranked = (
        select(
            Contact.person_id,
            Contact.id,
            Contact.channel,
            Contact.external_id,
            func.row_number()
            .over(partition_by=Contact.person_id, order_by=_rank(channels))
            .label("rn"),
        )
        .where(
            Contact.person_id.in_(list(person_ids)),
            Contact.status == "active",
            Contact.kind == "user",
            Contact.channel.in_(channels),
            ~exists(tried),
        )
        .subquery()
    )
    rows = select(
        literal(run_id),
        ranked.c.person_id,
        ranked.c.id,
        ranked.c.channel,
        ranked.c.external_id,
        literal("pending"),
        literal(0),
        literal(time.time()),
        false(),
    ).where(ranked.c.rn == 1)
    result = await conn.execute(_insert(conn).from_select(_COLUMNS, rows).on_conflict_do_nothing())
    return max(result.rowcount, 0)


_FINISHED = text(
    "SELECT id, campaign_id FROM campaign_runs WHERE status = 'sending' AND NOT EXISTS ("
    "SELECT 1 FROM deliveries d WHERE d.run_id = campaign_runs.id "
    "AND d.status IN ('pending', 'claimed', 'paused'))"
)


async def finish_runs(engine: AsyncEngine, reader: AsyncEngine | None = None) -> list[int]:
    """Mark sending runs with nothing pending or claimed as done; return their ids.

    With a read-only `reader`, the write lock is taken only when some run looks finished
    (idle senders call this every second while another channel is still sending)."""
    if reader is not None:
        async with reader.connect() as conn:
            if (await conn.execute(_FINISHED)).first() is None:
                return []
    async with writing(engine) as conn:
        found = await conn.execute(_FINISHED)
        finished = {int(row[0]): int(row[1]) for row in found.all()}
        ids = list(finished)
        if ids:
            await conn.execute(
                update(CampaignRun)
                .where(CampaignRun.id.in_(ids))
                .values(status="done", finished_at=utcnow())
            )
            await conn.execute(
                text(
                    "UPDATE campaigns SET status = 'done' WHERE status = 'running' "
                    "AND cron IS NULL AND NOT EXISTS (SELECT 1 FROM campaign_runs r "
                    "WHERE r.campaign_id = campaigns.id "
                    "AND r.status IN ('materialising', 'sending'))"
                )
            )
    for run_id, campaign_id in finished.items():
        log.info("запуск №%s рассылки №%s завершён", run_id, campaign_id, extra={
            "event": "run.finished", "run_id": run_id, "campaign_id": campaign_id})
    return ids


async def unfinished_materialising(engine: AsyncEngine) -> list[int]:
    """Runs a crash left half-materialised: resume them at start."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(CampaignRun.id).where(CampaignRun.status == "materialising")
        )
        return [int(r) for r in rows.scalars()]
