"""The statements of one import batch (core.audience.importing.plan, core.audience.importing.write)
behind one
small interface, in two implementations:

- `CoreStatements`: SQLAlchemy Core on a Connection, for any database (on PostgreSQL the
  batch runs through run_sync);
- `SqliteStatements`: the same SQL on the plain sqlite3 connection under that Connection,
  in the same transaction (the batch runs whole in a worker thread).

Why two: for a 100,000-row import SQLAlchemy's per-row parameter work (building each
parameter set, converting every timestamp) cost as much CPU as SQLite's own. Values go
through the SQLite dialect's own bind processors and the columns written are those
SQLAlchemy writes, so both write the same rows (tests/unit/test_importer_sql.py compares).
Organisations (a few hundred per file) stay on the Connection in both (core.audience.directory).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, TextClause, Update, bindparam, delete, insert, select, text
from sqlalchemy import update as update_statement

from core.audience.directory import IMPORT_CONSENT_VERSION
from core.storage.models import Base
from core.storage.sqlite_values import bind, marks

TABLES = Base.metadata.tables
PEOPLE, CONTACTS, TAGS = TABLES["people"], TABLES["contacts"], TABLES["person_tags"]
CONSENTS = TABLES["consents"]
ROWS_PER_INSERT = 500  # rows per multi-row INSERT: 3,500 parameters, far below the limits
# SQLite's default page cache (2 MB) holds a small part of the people and contacts indexes
# once a file passes some tens of thousands of members: every insert then reads index pages
# back from the OS (100,000 rows: 8.9 s with 2 MB, 6.8 s with 64 MB). The import closes
# its connections when it ends (core.audience.importing.job), so the memory goes with them.
CACHE_KIB = 65_536
NewPerson = tuple[int, str, str, int]  # org_id, full_name, member_id_key ("" if none), roles
PersonKey = tuple[int, str, str]  # org_id, full_name, member_id_key: unique in people
ContactKey = tuple[str, str]  # channel, external_id: unique in contacts


@dataclass(frozen=True, slots=True)
class Stored:
    """A person as stored, with what the row may change."""

    id: int
    full_name: str
    org_id: int
    member_id: str | None
    roles: int
    erased: bool


@dataclass(frozen=True, slots=True)
class StoredContact:
    id: int
    channel: str
    person_id: int | None
    status: str
    owner: str | None  # the full name of the person it belongs to
    external_id: str


class ImportStatements(Protocol):
    """What a batch of the import reads and writes, inside one open transaction."""

    conn: Connection  # for core.audience.directory.OrgCache, in the same transaction

    def people_by_member_id(self, member_ids: Sequence[str]) -> list[Stored]: ...

    def people_by_name(self, pairs: Sequence[tuple[int, str]]) -> list[Stored]:
        """The people at these (organisation id, full name) pairs."""
        ...

    def contacts(self, channel: str, external_ids: Sequence[str]) -> list[StoredContact]:
        """Stored contacts among these, with their owner's name."""
        ...

    def tags(self, person_ids: Sequence[int]) -> list[tuple[int, str]]: ...

    def insert_people(self, people: Sequence[NewPerson], at: datetime) -> dict[PersonKey, int]:
        """New people; their ids by their unique key."""
        ...

    def update_people(self, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
        """Set these columns of people: each row holds their values, then the person's id."""
        ...

    def replace_tags(self, person_ids: Sequence[int]) -> None:
        """Delete every tag of these people (their new tags follow with insert_tags)."""
        ...

    def insert_tags(self, tags: Sequence[tuple[int, str]]) -> None: ...

    def insert_contacts(
        self, contacts: Sequence[tuple[int, str, str]], at: datetime
    ) -> dict[ContactKey, int]:
        """New active contacts (person id, channel, external id); their ids by their key."""
        ...

    def insert_consents(self, consents: Sequence[tuple[int, int, str]], at: datetime) -> None:
        """Import consents given `at`: (person id, contact id, channel)."""
        ...

    def link_contacts(
        self, links: Sequence[tuple[int, int]], at: datetime, *, activate: bool
    ) -> None:
        """Give contacts (contact id, person id) their owner; `activate` pending ones."""
        ...


def _stored(row: Any) -> Stored:
    return Stored(row[0], row[1], row[2], row[3], row[4], row[5] is not None)


def _contact(channel: str, row: Any) -> StoredContact:
    return StoredContact(row[0], channel, row[1], row[2], row[3], row[4])


PERSON_COLUMNS = "p.id, p.full_name, p.org_id, p.member_id, p.roles, p.erased_at"


def named_sql(count: int, columns: str, mark: Callable[[int, str], str]) -> str:
    """SELECT `columns` of the people at `count` (organisation id, full name) pairs.

    Joining a VALUES list probes the (org_id, full_name, …) unique index once per pair,
    where org_id IN (…) AND full_name IN (…) probes every organisation × name.
    """
    rows = ", ".join(f"(CAST({mark(i, 'o')} AS INTEGER), {mark(i, 'n')})" for i in range(count))
    return (
        f"WITH named(org_id, full_name) AS (VALUES {rows}) SELECT {columns} FROM named "
        "JOIN people p ON p.org_id = named.org_id AND p.full_name = named.full_name"
    )


# SQLAlchemy Core -----------------------------------------------------------------------
# Statements built once: building one per batch (coercing every value of an IN list) cost
# more CPU than running it.
_BY_MEMBER_ID = select(
    PEOPLE.c.id, PEOPLE.c.full_name, PEOPLE.c.org_id, PEOPLE.c.member_id, PEOPLE.c.roles,
    PEOPLE.c.erased_at,
).where(PEOPLE.c.member_id.in_(bindparam("member_ids", expanding=True)))
_CONTACTS = (
    select(CONTACTS.c.id, CONTACTS.c.person_id, CONTACTS.c.status, PEOPLE.c.full_name)
    .select_from(CONTACTS.outerjoin(PEOPLE, PEOPLE.c.id == CONTACTS.c.person_id))
    .where(CONTACTS.c.channel == bindparam("channel"),
           CONTACTS.c.external_id.in_(bindparam("external_ids", expanding=True)))
    .add_columns(CONTACTS.c.external_id)
)
_TAGS = select(TAGS.c.person_id, TAGS.c.tag).where(
    TAGS.c.person_id.in_(bindparam("person_ids", expanding=True))
)
# RETURNING the unique key rather than in parameter order: on SQLite, ordered RETURNING
# makes SQLAlchemy insert row by row; unordered, it is one multi-row INSERT per page.
_INSERT_PEOPLE = insert(PEOPLE).returning(
    PEOPLE.c.org_id, PEOPLE.c.full_name, PEOPLE.c.member_id_key, PEOPLE.c.id
)
_INSERT_CONTACTS = insert(CONTACTS).returning(
    CONTACTS.c.channel, CONTACTS.c.external_id, CONTACTS.c.id
)
_DELETE_TAGS = delete(TAGS).where(TAGS.c.person_id.in_(bindparam("person_ids", expanding=True)))
_LINK = update_statement(CONTACTS).where(CONTACTS.c.id == bindparam("c_id")).values(
    person_id=bindparam("c_person"), updated_at=bindparam("c_at")
)
_LINK_PENDING = _LINK.values(status="active", subscribed_at=bindparam("c_at"))


@lru_cache(maxsize=64)
def _core_named(count: int) -> TextClause:
    # Plain SQL text: SQLAlchemy compiles a values() construct anew for every batch.
    return text(named_sql(count, PERSON_COLUMNS, lambda i, kind: f":{kind}{i}"))


@lru_cache(maxsize=32)
def _core_update(columns: tuple[str, ...]) -> Update:
    return update_statement(PEOPLE).where(PEOPLE.c.id == bindparam("p_id")).values(
        {column: bindparam(f"u_{column}") for column in columns}
    )


def _consent(person_id: int, contact_id: int, channel: str, at: datetime) -> dict[str, Any]:
    return {
        "person_id": person_id, "contact_id": contact_id, "channel": channel,
        "text_version": IMPORT_CONSENT_VERSION, "source": "import", "given_at": at,
    }


class CoreStatements:
    """The statements through SQLAlchemy Core, on any database."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def people_by_member_id(self, member_ids: Sequence[str]) -> list[Stored]:
        return list(map(_stored, self.conn.execute(_BY_MEMBER_ID, {"member_ids": member_ids})))

    def people_by_name(self, pairs: Sequence[tuple[int, str]]) -> list[Stored]:
        params: dict[str, Any] = {f"o{i}": org_id for i, (org_id, _) in enumerate(pairs)}
        params.update({f"n{i}": name for i, (_, name) in enumerate(pairs)})
        return list(map(_stored, self.conn.execute(_core_named(len(pairs)), params)))

    def contacts(self, channel: str, external_ids: Sequence[str]) -> list[StoredContact]:
        rows = self.conn.execute(_CONTACTS, {"channel": channel, "external_ids": external_ids})
        return [_contact(channel, row) for row in rows]

    def tags(self, person_ids: Sequence[int]) -> list[tuple[int, str]]:
        rows: Iterable[Any] = self.conn.execute(_TAGS, {"person_ids": person_ids})
        return [(person_id, tag) for person_id, tag in rows]

    def insert_people(self, people: Sequence[NewPerson], at: datetime) -> dict[PersonKey, int]:
        result: Iterable[Any] = self.conn.execute(_INSERT_PEOPLE, [
            {"full_name": name, "org_id": org_id, "member_id": key or None,
             "member_id_key": key, "roles": roles, "created_at": at}
            for org_id, name, key, roles in people
        ])
        return {(org_id, name, key): person_id for org_id, name, key, person_id in result}

    def update_people(self, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
        names = [f"u_{column}" for column in columns] + ["p_id"]
        self.conn.execute(_core_update(columns), [dict(zip(names, row, strict=True))
                                                   for row in rows])

    def replace_tags(self, person_ids: Sequence[int]) -> None:
        self.conn.execute(_DELETE_TAGS, {"person_ids": person_ids})

    def insert_tags(self, tags: Sequence[tuple[int, str]]) -> None:
        self.conn.execute(insert(TAGS), [{"person_id": p, "tag": tag} for p, tag in tags])

    def insert_contacts(
        self, contacts: Sequence[tuple[int, str, str]], at: datetime
    ) -> dict[ContactKey, int]:
        result: Iterable[Any] = self.conn.execute(_INSERT_CONTACTS, [
            {"person_id": person_id, "channel": channel, "external_id": external_id,
             "kind": "user", "status": "active", "subscribed_at": at, "updated_at": at}
            for person_id, channel, external_id in contacts
        ])
        return {(channel, external_id): cid for channel, external_id, cid in result}

    def insert_consents(self, consents: Sequence[tuple[int, int, str]], at: datetime) -> None:
        self.conn.execute(insert(CONSENTS), [_consent(*consent, at) for consent in consents])

    def link_contacts(
        self, links: Sequence[tuple[int, int]], at: datetime, *, activate: bool
    ) -> None:
        self.conn.execute(
            _LINK_PENDING if activate else _LINK,
            [{"c_id": contact_id, "c_person": person_id, "c_at": at}
             for contact_id, person_id in links],
        )


# Plain sqlite3 -------------------------------------------------------------------------
_at = bind(PEOPLE.c.created_at)


@lru_cache(maxsize=64)
def _values(columns: int, rows: int) -> str:
    return ", ".join([f"({marks(columns)})"] * rows)


def _insert_returning(
    db: sqlite3.Connection, head: str, returning: str, rows: Sequence[Sequence[Any]]
) -> list[Any]:
    """One multi-row INSERT … RETURNING per page (sqlite3's executemany returns no rows)."""
    found: list[Any] = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        page = rows[start:start + ROWS_PER_INSERT]
        values = [value for row in page for value in row]
        sql = f"{head} VALUES {_values(len(page[0]), len(page))} RETURNING {returning}"
        found += db.execute(sql, values).fetchall()
    return found


class SqliteStatements:
    """The same statements on the sqlite3 connection of `conn`, in its open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        dbapi = conn.connection.driver_connection
        assert isinstance(dbapi, sqlite3.Connection) and dbapi.in_transaction
        self.db = dbapi
        dbapi.execute(f"PRAGMA cache_size = -{CACHE_KIB}")

    def people_by_member_id(self, member_ids: Sequence[str]) -> list[Stored]:
        rows = self.db.execute(
            "SELECT id, full_name, org_id, member_id, roles, erased_at FROM people "
            f"WHERE member_id IN ({marks(len(member_ids))})", member_ids,
        )
        return list(map(_stored, rows))

    def people_by_name(self, pairs: Sequence[tuple[int, str]]) -> list[Stored]:
        values = [value for pair in pairs for value in pair]
        return list(map(_stored, self.db.execute(_sqlite_named(len(pairs)), values)))

    def contacts(self, channel: str, external_ids: Sequence[str]) -> list[StoredContact]:
        rows = self.db.execute(
            "SELECT c.id, c.person_id, c.status, p.full_name, c.external_id FROM contacts c "
            "LEFT OUTER JOIN people p ON p.id = c.person_id WHERE c.channel = ? AND "
            f"c.external_id IN ({marks(len(external_ids))})", (channel, *external_ids),
        )
        return [_contact(channel, row) for row in rows]

    def tags(self, person_ids: Sequence[int]) -> list[tuple[int, str]]:
        return self.db.execute(
            f"SELECT person_id, tag FROM person_tags WHERE person_id IN "
            f"({marks(len(person_ids))})", person_ids,
        ).fetchall()

    def insert_people(self, people: Sequence[NewPerson], at: datetime) -> dict[PersonKey, int]:
        created = _at(at)
        rows = [(name, org_id, key or None, key, roles, created)
                for org_id, name, key, roles in people]
        found = _insert_returning(
            self.db,
            "INSERT INTO people (full_name, org_id, member_id, member_id_key, roles, created_at)",
            "org_id, full_name, member_id_key, id", rows,
        )
        return {(org_id, name, key): person_id for org_id, name, key, person_id in found}

    def update_people(self, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in columns)
        self.db.executemany(f"UPDATE people SET {assignments} WHERE id = ?", rows)

    def replace_tags(self, person_ids: Sequence[int]) -> None:
        self.db.execute(
            f"DELETE FROM person_tags WHERE person_id IN ({marks(len(person_ids))})", person_ids
        )

    def insert_tags(self, tags: Sequence[tuple[int, str]]) -> None:
        self.db.executemany("INSERT INTO person_tags (person_id, tag) VALUES (?, ?)", tags)

    def insert_contacts(
        self, contacts: Sequence[tuple[int, str, str]], at: datetime
    ) -> dict[ContactKey, int]:
        moment = _at(at)
        rows = [(person_id, channel, external_id, "user", "active", moment, moment)
                for person_id, channel, external_id in contacts]
        found = _insert_returning(
            self.db,
            "INSERT INTO contacts (person_id, channel, external_id, kind, status, "
            "subscribed_at, updated_at)",
            "channel, external_id, id", rows,
        )
        return {(channel, external_id): cid for channel, external_id, cid in found}

    def insert_consents(self, consents: Sequence[tuple[int, int, str]], at: datetime) -> None:
        given = _at(at)
        self.db.executemany(
            "INSERT INTO consents (person_id, contact_id, channel, text_version, source, "
            "given_at) VALUES (?, ?, ?, ?, 'import', ?)",
            [(*consent, IMPORT_CONSENT_VERSION, given) for consent in consents],
        )

    def link_contacts(
        self, links: Sequence[tuple[int, int]], at: datetime, *, activate: bool
    ) -> None:
        moment = _at(at)
        extra = ", status = 'active', subscribed_at = ?" if activate else ""
        rows = [(person_id, moment, *((moment,) if activate else ()), contact_id)
                for contact_id, person_id in links]
        self.db.executemany(
            f"UPDATE contacts SET person_id = ?, updated_at = ?{extra} WHERE id = ?", rows
        )


@lru_cache(maxsize=64)
def _sqlite_named(count: int) -> str:
    return named_sql(count, PERSON_COLUMNS, lambda _i, _kind: "?")


def statements(conn: Connection, *, portable: bool = False) -> ImportStatements:
    """Plain sqlite3 on a pysqlite connection (unless `portable`), else SQLAlchemy Core
    (PostgreSQL, or aiosqlite under run_sync)."""
    if not portable and isinstance(conn.connection.driver_connection, sqlite3.Connection):
        return SqliteStatements(conn)
    return CoreStatements(conn)
