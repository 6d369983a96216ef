"""The member import, segments and stats on PostgreSQL give what they give on SQLite.

A throwaway PostgreSQL server on a Unix socket in tmp_path (no TCP port); skipped where the
PostgreSQL server programs are not installed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.audience.importing.job import import_members
from core.audience.segments import count_segment, parse_segment, resolve_segment, segment_people
from core.audience.stats import audience_stats
from core.storage.engine import create_engine, session_factory
from core.storage.models import Person
from core.storage.schema import upgrade_async

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "members.csv"
REGION = "Пермская краевая организация Профсоюза образования"
CHANNELS = ["telegram", "vk", "viber"]
EXPRESSIONS = [
    "all",
    f'org:"{REGION}/Ленинский район" role:young_teacher',
    f'org:"{REGION}/Кунгурский муниципальный округ" org:"{REGION}/Аппарат краевой организации"',
    'роль:председатель tag:профком channel:telegram',
    'tag:"совет молодых педагогов" channel:vk channel:viber',
    "role:press role:admin",
]
Sessions = async_sessionmaker[AsyncSession]


def _as_postgres_user() -> list[str]:
    """initdb refuses to run as root: run the server programs as the postgres user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no postgres user for initdb")
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    """The URL of a fresh server's maintenance database."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not installed")
    prefix = _as_postgres_user()
    # Not under pytest's tmp_path: the postgres user cannot enter root's private directory.
    directory = Path(tempfile.mkdtemp(prefix="rupor-pg-"))
    if prefix:
        shutil.chown(directory, user="postgres")
    data, socket_port = directory / "data", "5432"  # names the socket file; no TCP listener

    def run(*args: str) -> None:
        subprocess.run(
            [*prefix, *args], check=True, capture_output=True, timeout=60, cwd=directory
        )

    run("initdb", "-D", str(data), "-A", "trust", "-U", "rupor")
    options = (
        f"-c listen_addresses='' -c unix_socket_directories={directory} -p {socket_port} "
        "-c fsync=off"
    )
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(directory / "log"), "-w", "start")
    try:
        yield f"postgresql://rupor@/postgres?host={directory}&port={socket_port}"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)


async def _fresh_database(server_url: str, name: str) -> str:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return server_url.replace("/postgres?", f"/{name}?", 1)


async def _imported(url: str) -> tuple[Sessions, AsyncEngine]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    first = await import_members(sessions, EXAMPLE, batch_size=100)
    assert first.complete and first.people_created == 437
    return sessions, engine


@pytest.fixture
async def both(
    postgres_server: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, Sessions]]:
    """The example union imported into a fresh SQLite file and a fresh PostgreSQL database."""
    sqlite_url = f"sqlite:///{tmp_path / 'rupor.sqlite3'}"
    postgres_url = await _fresh_database(postgres_server, request.node.name.lower()[:60])
    engines: list[AsyncEngine] = []
    found: dict[str, Sessions] = {}
    for name, url in (("sqlite", sqlite_url), ("postgresql", postgres_url)):
        await upgrade_async(url)
        found[name], engine = await _imported(url)
        engines.append(engine)
    yield found
    for engine in engines:
        await engine.dispose()


async def _members(sessions: Sessions, expr: str) -> tuple[set[str], object]:
    async with sessions() as session:
        resolved = await resolve_segment(session, parse_segment(expr))
        ids = select(Person.full_name).where(Person.id.in_(segment_people(resolved)))
        names = set(await session.scalars(ids))
        return names, await count_segment(session, resolved, CHANNELS)


async def test_segments_select_the_same_members_on_both(both: dict[str, Sessions]) -> None:
    for expr in EXPRESSIONS:
        on_sqlite = await _members(both["sqlite"], expr)
        on_postgres = await _members(both["postgresql"], expr)
        assert on_sqlite == on_postgres, expr
        assert on_sqlite[0], expr  # every expression selects somebody in the example


async def test_reimport_and_stats_on_postgres(both: dict[str, Sessions]) -> None:
    again = await import_members(both["postgresql"], EXAMPLE, batch_size=100)
    assert (again.people_unchanged, again.contacts_created) == (437, 0)
    totals = []
    for name in ("sqlite", "postgresql"):
        async with both[name]() as session:
            totals.append(await audience_stats(session, CHANNELS))
    assert totals[0] == totals[1]
    assert totals[1].total.members == 437
