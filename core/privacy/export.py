"""Everything stored about one person, as a JSON-ready dict: every row of every table that
points at them (core.privacy.tables), every column of it, the organisation by name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.privacy import mentions
from core.privacy.subject import Subject, subject_of, table, where
from core.privacy.tables import FINDERS
from core.storage.models import Organization, Person, utcnow


class NoSuchPerson(LookupError):
    """No person with that id."""


async def export(engine: AsyncEngine, person_id: int) -> dict[str, Any]:
    """{"person", "organization", "accounts", "exported_at", "tables": {table: [row, …]}};
    audit entries where they acted or whose details name one of their accounts."""
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                select(Person.id, Organization.full_name)
                .join(Organization, Organization.id == Person.org_id)
                .where(Person.id == person_id)
            )
        ).first()
        if found is None:
            raise NoSuchPerson(person_id)
        who = await subject_of(conn, person_id)
        tables: dict[str, list[dict[str, Any]]] = {}
        for name, finders in FINDERS.items():
            t = table(name)
            rows = await conn.execute(select(t).where(where(name, finders, who)))
            tables[name] = [_jsonable(dict(row._mapping)) for row in rows]
        tables["audit"] += await _named_in_details(conn, who, tables["audit"])
    return {
        "person": tables["people"][0],
        "organization": found.full_name,
        "accounts": [{"channel": c, "external_id": e} for c, e in who.accounts],
        "exported_at": utcnow().isoformat(),
        "tables": tables,
    }


async def _named_in_details(
    conn: AsyncConnection, who: Subject, acted: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Audit entries about them (a role given to them) that they did not make themselves."""
    seen = {entry["id"] for entry in acted}
    named = [row.id for row in await mentions.mentioning(conn, who) if row.id not in seen]
    audit = table("audit")
    rows = await conn.execute(select(audit).where(audit.c.id.in_(named)).order_by(audit.c.id))
    return [_jsonable(dict(row._mapping)) for row in rows]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _value(value) for key, value in row.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<файл, {len(bytes(value))} байт>"
    return value

