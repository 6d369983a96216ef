"""The statements of the inbox's batch transaction (core.inbound.store, core.inbound.dialogs_batch)
behind one small interface, in two implementations:

- `CoreStatements`: SQLAlchemy Core on a Connection, for any database (on PostgreSQL the
  inbox runs it through run_sync);
- `SqliteStatements`: the same SQL on the plain sqlite3 connection of a SQLite file, run
  whole in one worker thread.

Why two: on the webhook path SQLAlchemy's per-statement work (parameter processing, result
set-up, the pool and transaction events) cost more CPU than SQLite's own, and all of it
holds the GIL that the event loop serving the webhooks needs; sqlite3 releases the GIL
while SQLite works. Values go through the SQLite dialect's own bind and result processors
and Python-side defaults are applied as SQLAlchemy applies them, so both implementations
write the same rows (tests/unit/test_inbox_sql.py compares them).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.engine import sqlite_twin_of, write_lock, writing
from core.storage.models import Contact, Inbound, Reply, utcnow
from core.storage.sqlite_values import bind, marks, result

T = TypeVar("T")


class InboundRow(NamedTuple):
    channel: str
    platform_event_id: str
    kind: str
    text: str | None
    event: dict[str, Any]
    received_at: datetime
    handled_at: datetime | None


class ContactFound(NamedTuple):
    id: int
    external_id: str
    person_id: int | None
    status: str
    dialog_state: dict[str, Any] | None


class ReplyRow(NamedTuple):
    channel: str
    contact_id: int
    inbound_id: int
    content: dict[str, Any]


class InboxStatements(Protocol):
    """What a batch transaction of the inbox reads and writes."""

    def known(self, channel: str, event_ids: Sequence[str]) -> list[tuple[int, str, bool]]:
        """(id, platform event id, handled) of the stored ones among these updates."""
        ...

    def insert_inbound(self, rows: Sequence[InboundRow]) -> list[tuple[int, str, str]]:
        """Store new updates; (id, channel, platform event id) of each."""
        ...

    def mark_handled(self, inbound_ids: Sequence[int], at: datetime | None) -> None: ...

    def contacts(self, channel: str, external_ids: Sequence[str]) -> list[ContactFound]: ...

    def touch(self, contact_ids: Sequence[int], at: datetime) -> None:
        """The contacts wrote to us (last_inbound_at)."""
        ...

    def file_feedback(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Mark stored updates as feedback from a contact: (inbound id, contact id)."""
        ...

    def insert_replies(self, rows: Sequence[ReplyRow]) -> None:
        """Queue replies (pending, due now)."""
        ...

    def execute_many(self, sql: str, params: Sequence[dict[str, Any]]) -> None:
        """A plain SQL statement with :named parameters, once per parameter set."""
        ...

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """A plain SQL query with :named parameters (core.polls reads votes with these)."""
        ...

    def stamp(self, at: datetime) -> Any:
        """A time as the database stores it, so SQL compares it with stored times."""
        ...


# SQLAlchemy Core -----------------------------------------------------------------------
# Statements built once: building one per batch (coercing every id of an IN list) cost
# more CPU than executing it.
_KNOWN = (
    select(Inbound.id, Inbound.platform_event_id, Inbound.handled_at)
    .where(
        Inbound.channel == bindparam("k_channel"),
        Inbound.platform_event_id.in_(bindparam("k_ids", expanding=True)),
    )
    # FOR UPDATE serialises handlers on PostgreSQL; SQLite's BEGIN IMMEDIATE already does,
    # and SQLAlchemy omits the clause there.
    .with_for_update()
)
_INSERT_INBOUND = insert(Inbound).returning(Inbound.id, Inbound.channel, Inbound.platform_event_id)
MARK_HANDLED = (
    update(Inbound)
    .where(Inbound.id.in_(bindparam("h_ids", expanding=True)))
    .values(handled_at=bindparam("h_at"))
)
_CONTACTS = select(
    Contact.id, Contact.external_id, Contact.person_id, Contact.status, Contact.dialog_state
).where(
    Contact.channel == bindparam("c_channel"),
    Contact.external_id.in_(bindparam("c_ids", expanding=True)),
)
_TOUCH = (  # updated_at follows from the column's onupdate
    update(Contact)
    .where(Contact.id.in_(bindparam("t_ids", expanding=True)))
    .values(last_inbound_at=bindparam("t_at"))
)
_FEEDBACK = (
    update(Inbound)
    .where(Inbound.id == bindparam("f_inbound"))
    .values(is_feedback=True, contact_id=bindparam("f_contact"))
)
_INSERT_REPLY = insert(Reply)


class CoreStatements:
    """The statements through SQLAlchemy Core, on any database."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def known(self, channel: str, event_ids: Sequence[str]) -> list[tuple[int, str, bool]]:
        rows = self.conn.execute(_KNOWN, {"k_channel": channel, "k_ids": list(event_ids)})
        return [(int(r.id), r.platform_event_id, r.handled_at is not None) for r in rows]

    def insert_inbound(self, rows: Sequence[InboundRow]) -> list[tuple[int, str, str]]:
        result = self.conn.execute(_INSERT_INBOUND, [row._asdict() for row in rows])
        return [(int(r.id), r.channel, r.platform_event_id) for r in result.all()]

    def mark_handled(self, inbound_ids: Sequence[int], at: datetime | None) -> None:
        self.conn.execute(MARK_HANDLED, {"h_ids": list(inbound_ids), "h_at": at})

    def contacts(self, channel: str, external_ids: Sequence[str]) -> list[ContactFound]:
        rows = self.conn.execute(_CONTACTS, {"c_channel": channel, "c_ids": list(external_ids)})
        return [ContactFound(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows.all()]

    def touch(self, contact_ids: Sequence[int], at: datetime) -> None:
        self.conn.execute(_TOUCH, {"t_ids": list(contact_ids), "t_at": at})

    def file_feedback(self, pairs: Sequence[tuple[int, int]]) -> None:
        self.conn.execute(_FEEDBACK, [{"f_inbound": i, "f_contact": c} for i, c in pairs])

    def insert_replies(self, rows: Sequence[ReplyRow]) -> None:
        self.conn.execute(
            _INSERT_REPLY,
            [{**row._asdict(), "status": "pending", "next_attempt_at": 0.0} for row in rows],
        )

    def execute_many(self, sql: str, params: Sequence[dict[str, Any]]) -> None:
        self.conn.execute(text(sql), list(params))

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.conn.execute(text(sql), params)]

    def stamp(self, at: datetime) -> Any:
        return at


# Plain sqlite3 -------------------------------------------------------------------------
_AT = bind(Inbound.__table__.c.received_at)
_JSON = bind(Inbound.__table__.c.event)
_STATE = result(Contact.__table__.c.dialog_state)
_TRUE = bind(Inbound.__table__.c.is_feedback)(True)


class SqliteStatements:
    """The same statements on a sqlite3 connection inside an open transaction."""

    def __init__(self, dbapi: sqlite3.Connection) -> None:
        self.db = dbapi

    def known(self, channel: str, event_ids: Sequence[str]) -> list[tuple[int, str, bool]]:
        rows = self.db.execute(
            "SELECT id, platform_event_id, handled_at FROM inbound WHERE channel = ? AND "
            f"platform_event_id IN ({marks(len(event_ids))})",
            (channel, *event_ids),
        )
        return [(int(i), event_id, at is not None) for i, event_id, at in rows]

    def insert_inbound(self, rows: Sequence[InboundRow]) -> list[tuple[int, str, str]]:
        values: list[Any] = []
        for row in rows:
            values += (
                row.channel,
                row.platform_event_id,
                row.kind,
                row.text,
                _JSON(row.event),
                _AT(row.received_at),
                _AT(row.handled_at),
            )
        # One statement: sqlite3's executemany cannot return rows.
        found = self.db.execute(
            "INSERT INTO inbound (channel, platform_event_id, kind, text, event, received_at, "
            "handled_at) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
            + " RETURNING id, channel, platform_event_id",
            values,
        )
        return [(int(i), channel, event_id) for i, channel, event_id in found.fetchall()]

    def mark_handled(self, inbound_ids: Sequence[int], at: datetime | None) -> None:
        self.db.execute(
            f"UPDATE inbound SET handled_at = ? WHERE id IN ({marks(len(inbound_ids))})",
            (_AT(at), *inbound_ids),
        )

    def contacts(self, channel: str, external_ids: Sequence[str]) -> list[ContactFound]:
        rows = self.db.execute(
            "SELECT id, external_id, person_id, status, dialog_state FROM contacts WHERE "
            f"channel = ? AND external_id IN ({marks(len(external_ids))})",
            (channel, *external_ids),
        )
        return [ContactFound(int(i), e, p, s, _STATE(d)) for i, e, p, s, d in rows.fetchall()]

    def touch(self, contact_ids: Sequence[int], at: datetime) -> None:
        self.db.execute(
            "UPDATE contacts SET last_inbound_at = ?, updated_at = ? "
            f"WHERE id IN ({marks(len(contact_ids))})",
            (_AT(at), _AT(utcnow()), *contact_ids),
        )

    def file_feedback(self, pairs: Sequence[tuple[int, int]]) -> None:
        self.db.executemany(
            "UPDATE inbound SET is_feedback = ?, contact_id = ? WHERE id = ?",
            [(_TRUE, contact_id, inbound_id) for inbound_id, contact_id in pairs],
        )

    def insert_replies(self, rows: Sequence[ReplyRow]) -> None:
        created = _AT(utcnow())
        self.db.executemany(
            "INSERT INTO replies (channel, contact_id, content, status, next_attempt_at, "
            "inbound_id, created_at) VALUES (?, ?, ?, 'pending', 0.0, ?, ?)",
            [(r.channel, r.contact_id, _JSON(r.content), r.inbound_id, created) for r in rows],
        )

    def execute_many(self, sql: str, params: Sequence[dict[str, Any]]) -> None:
        self.db.executemany(sql, params)

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.db.execute(sql, params).fetchall()]

    def stamp(self, at: datetime) -> Any:
        return _AT(at)


# The transaction -----------------------------------------------------------------------


async def in_batch_transaction(
    engine: AsyncEngine, work: Callable[[InboxStatements], T], *, portable: bool = False
) -> T:
    """`work` in one write transaction queued behind this process's other writers: on a
    SQLite file with plain sqlite3 in one worker thread, elsewhere (or `portable`, which
    tests use to run the PostgreSQL code on SQLite) with SQLAlchemy Core."""
    twin = None if portable else sqlite_twin_of(engine)
    if twin is None:
        async with writing(engine, urgent=True) as conn:
            return await conn.run_sync(lambda sync_conn: work(CoreStatements(sync_conn)))
    async with write_lock(engine).held(urgent=True):  # people wait for what they sent
        return await asyncio.to_thread(_run_on_sqlite, twin, work)


def _run_on_sqlite(twin: Engine, work: Callable[[InboxStatements], T]) -> T:
    pooled = twin.raw_connection()  # the twin's pool sets WAL, foreign keys, busy timeout
    try:
        dbapi = pooled.driver_connection
        assert isinstance(dbapi, sqlite3.Connection) and dbapi.isolation_level is None
        dbapi.execute("BEGIN IMMEDIATE")
        try:
            result = work(SqliteStatements(dbapi))
            dbapi.execute("COMMIT")
        except BaseException:
            if dbapi.in_transaction:
                dbapi.execute("ROLLBACK")
            raise
        return result
    finally:
        pooled.close()
