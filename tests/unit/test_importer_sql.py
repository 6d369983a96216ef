"""The import's statements on plain sqlite3 write exactly the rows SQLAlchemy Core writes
(core.audience.importing.statements): new people, updates, moves, tags, new and linked contacts,
consents. Against real SQLite files (tests/conftest.py)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.audience.directory import add_contact
from core.audience.importing.job import ImportReport
from core.audience.importing.statements import CoreStatements, SqliteStatements, statements
from core.storage.engine import create_engine, session_factory, sqlite_twin
from tests.unit.import_support import (
    MEMBERS,
    REGION,
    Sessions,
    bulk_rows,
    run_import,
    write_csv,
)

TABLES = ("organizations", "people", "person_tags", "contacts", "consents")


def _seed_rows() -> list[list[str]]:
    """MEMBERS as an earlier file had them: other roles and tags, no member_id, another
    school and spelling, and no messenger ids for the first three."""
    rows = [list(row) for row in MEMBERS]
    rows[0][2], rows[0][3], rows[0][7] = "member", "", "наставник"
    rows[1][4], rows[1][6] = "", ""
    rows[2][4] = ""
    rows[3][0], rows[3][1] = "Кузнецова Ольга", f"{REGION}/Старый район"
    return rows


@pytest.fixture
async def seeded(sessions: Sessions, db_url: str, tmp_path: Path) -> list[str]:
    """Two copies of one database holding the seed members and two contacts nobody owns
    yet (one pending, one unsubscribed): the paths of the copies."""
    await run_import(sessions, write_csv(tmp_path / "seed.csv", _seed_rows()))
    async with sessions() as session, session.begin():
        await add_contact(session, None, "telegram", "5012345678", status="pending")
        await add_contact(session, None, "vk", "888", status="unsubscribed",
                          consent_source=None)
    first = make_url(db_url).database
    assert first is not None
    second = str(tmp_path / "copy.sqlite3")
    await sessions.kw["bind"].dispose()
    shutil.copy(first, second)
    return [first, second]


@pytest.fixture
async def engines(seeded: list[str]) -> AsyncIterator[list[AsyncEngine]]:
    made = [create_engine(f"sqlite:///{path}") for path in seeded]
    yield made
    for engine in made:
        await engine.dispose()


def table_rows(path: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row and column of the audience tables, as stored."""
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608 - a fixed table name
            for table in TABLES
        }


def _bulk(count: int) -> list[list[str]]:
    """Rows enough for several pages of each insert; card numbers apart from MEMBERS'."""
    return [[*row[:6], f"77{n:08d}", row[7]] for n, row in enumerate(bulk_rows(count))]


async def _import_all(engine: AsyncEngine, tmp_path: Path, portable: bool) -> list[ImportReport]:
    sessions = session_factory(engine)
    files = [
        write_csv(tmp_path / "members.csv", MEMBERS),
        write_csv(tmp_path / "bulk.csv", _bulk(1_500)),
        write_csv(tmp_path / "members.csv", MEMBERS),
    ]
    return [
        await run_import(sessions, path, portable_sql=portable, create_orgs=True)
        for path in files
    ]


async def test_sqlite3_and_core_write_the_same_rows(
    engines: list[AsyncEngine], seeded: list[str], tmp_path: Path
) -> None:
    fast = await _import_all(engines[0], tmp_path, portable=False)
    core = await _import_all(engines[1], tmp_path, portable=True)
    assert fast == core
    first, bulk, again = fast
    assert (first.people_created, first.people_updated, first.people_unchanged) == (0, 3, 2)
    assert (first.contacts_created, first.contacts_linked) == (1, 2)
    assert bulk.organizations_created == 105 and bulk.people_created == 1_500
    assert again.people_unchanged == 5 and again.contacts_created == 0
    stored = table_rows(seeded[0])
    assert stored == table_rows(seeded[1])
    # What the comparison covers: linked contacts, both consents, the replaced tags.
    contacts = {(row[2], row[3]): row for row in stored["contacts"]}
    assert contacts[("telegram", "5012345678")][1] is not None
    assert contacts[("vk", "888")][5] == "unsubscribed"
    assert len(stored["consents"]) == 2 + 2 + 1_125  # seed, first import (new, pending), bulk
    assert len(stored["people"]) == 5 + 1_500


def test_sqlite_files_get_the_sqlite3_statements(seeded: list[str]) -> None:
    twin = sqlite_twin(create_engine(f"sqlite:///{seeded[0]}"))
    assert twin is not None
    try:
        with twin.begin() as conn:
            chosen = type(statements(conn)), type(statements(conn, portable=True))
    finally:
        twin.dispose()
    assert chosen == (SqliteStatements, CoreStatements)
