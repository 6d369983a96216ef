"""The import's SQLAlchemy Core statements on PostgreSQL
(core.audience.importing.statements.CoreStatements) leave the audience that plain sqlite3 leaves on
a SQLite file: new people, updates, moves, replaced tags, new and linked contacts, consents.

The throwaway server of test_audience_postgres; skipped where PostgreSQL is not installed.
"""

from __future__ import annotations

from pathlib import Path

from core.audience.directory import add_contact
from core.audience.importing.job import ImportReport
from core.storage.engine import create_engine, session_factory
from core.storage.schema import upgrade_async
from tests.integration.test_audience_postgres import (  # noqa: F401 - the server fixture
    _fresh_database,
    postgres_server,
)
from tests.unit.import_support import MEMBERS, content, run_import, write_csv
from tests.unit.test_importer_sql import _bulk, _seed_rows


async def _imported(url: str, tmp_path: Path) -> tuple[list[ImportReport], set[tuple[object, ...]]]:
    """The seed, two contacts nobody owns, then MEMBERS, a bulk file and MEMBERS again."""
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await run_import(sessions, write_csv(tmp_path / "seed.csv", _seed_rows()))
        async with sessions() as session, session.begin():
            await add_contact(session, None, "telegram", "5012345678", status="pending")
            await add_contact(session, None, "vk", "888", status="unsubscribed",
                              consent_source=None)
        files = [
            write_csv(tmp_path / "members.csv", MEMBERS),
            write_csv(tmp_path / "bulk.csv", _bulk(1_200)),
            write_csv(tmp_path / "members.csv", MEMBERS),
        ]
        # The bulk file brings new districts of a known region: created on purpose.
        reports = [await run_import(sessions, path, create_orgs=True) for path in files]
        return reports, await content(sessions)
    finally:
        await engine.dispose()


async def test_postgres_and_sqlite_end_with_the_same_audience(
    postgres_server: str, tmp_path: Path  # noqa: F811 - the fixture imported above
) -> None:
    on_postgres = await _imported(await _fresh_database(postgres_server, "importer"), tmp_path)
    on_sqlite = await _imported(f"sqlite:///{tmp_path / 'rupor.sqlite3'}", tmp_path)
    assert on_postgres == on_sqlite
    first, bulk, again = on_postgres[0]
    assert (first.people_updated, first.contacts_created, first.contacts_linked) == (3, 1, 2)
    assert bulk.people_created == 1_200 and again.people_unchanged == 5
