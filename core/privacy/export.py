"""Everything stored about one person, as a JSON-ready dict: every row of every table that
points at them (core.privacy.tables), every column of it, the organisation by name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.privacy.subject import subject_of, table, where
from core.privacy.tables import FINDERS
from core.storage.models import Organization, Person, utcnow


class NoSuchPerson(LookupError):
    """No person with that id."""


async def export(engine: AsyncEngine, person_id: int) -> dict[str, Any]:
    """{"person", "organization", "exported_at", "tables": {table: [row, …]}}."""
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
    return {
        "person": tables["people"][0],
        "organization": found.full_name,
        "accounts": [{"channel": c, "external_id": e} for c, e in who.accounts],
        "exported_at": utcnow().isoformat(),
        "tables": tables,
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _value(value) for key, value in row.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<файл, {len(bytes(value))} байт>"
    return value

