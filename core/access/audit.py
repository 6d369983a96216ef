"""The audit log: who did what, when, from which messenger (None: the command line), and
how it ended. Entries are written in the caller's transaction, so a change and its entry
commit together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.storage.models import Audit, Contact, Person


class Result(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"


CLI_ACTOR = "cli"


async def record(
    conn: AsyncConnection,
    actor: str,
    action: str,
    details: dict[str, Any] | None = None,
    *,
    channel: str | None = None,
    result: Result = Result.OK,
) -> None:
    """One entry; `actor` is the account id on `channel`, or "cli" for the command line."""
    await conn.execute(
        insert(Audit).values(
            actor=actor, action=action, details=details, channel=channel, result=str(result)
        )
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    actor_name: str | None  # the member's full name when the account is a known contact
    channel: str | None
    action: str
    result: str
    details: dict[str, Any] | None


@asynccontextmanager
async def reading(db: AsyncConnection | AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection from an engine (closed afterwards), or the caller's own."""
    if isinstance(db, AsyncConnection):
        yield db
        return
    async with db.connect() as conn:
        yield conn


async def list_audit(
    db: AsyncConnection | AsyncEngine,
    *,
    last: int = 50,
    since: datetime | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """The newest `last` entries (since a moment, by one actor), oldest first."""
    query = (
        select(Audit.at, Audit.actor, Person.full_name, Audit.channel, Audit.action,
               Audit.result, Audit.details)
        .outerjoin(Contact, and_(Contact.channel == Audit.channel,
                                 Contact.external_id == Audit.actor))
        .outerjoin(Person, Person.id == Contact.person_id)
        .order_by(Audit.id.desc())
        .limit(last)
    )
    if since is not None:
        query = query.where(Audit.at >= since)
    if actor is not None:
        query = query.where(Audit.actor == actor)
    async with reading(db) as conn:
        rows: Sequence[Any] = (await conn.execute(query)).all()  # seven columns: untyped
    return [AuditEntry(*row) for row in reversed(rows)]
