"""Database trouble while a campaign goes out: the SQLite file locked by another process, a
full disk, the PostgreSQL server away for 30 s. The run waits and resumes by itself; nobody
is lost, nobody gets the leaflet twice, nothing is recorded sent that was not; the operator
is told in the log (one Russian line per episode) and /healthz shows the trouble.

A full disk is SQLITE_FULL made by `PRAGMA max_page_count` (the database may not grow past
its size) set on the suite's own connections each time the pool hands one out, from this
test through SQLAlchemy's pool events: no hook in the product. The lock is held by a
separate Python process (BEGIN EXCLUSIVE) for longer than SQLite's busy timeout; the
server is a throwaway PostgreSQL on a Unix socket, stopped and started with pg_ctl.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import event

from bots.suite import Suite
from core.campaigns.store import NewCampaign
from core.storage.engine import create_engine, sqlite_twin_of
from core.storage.trouble import DATABASE, RECOVERED, TOLD, Cause
from sandbox.union import Union
from tests.e2e.crash_support import (
    SMALL_UNION,
    TEXT,
    check_duplicates,
    check_nobody_lost,
    check_paced,
    post_now,
    union_fixtures,
)
from tests.e2e.processes import Job, Launcher
from tests.e2e.rig import Key, Rig, eventually, import_members_file, open_rig, post
from tests.integration.test_audience_postgres import _as_postgres_user

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNION = SMALL_UNION
SEND_TIMEOUT_S = 120.0
LOCK_HOLD_S = 35.0  # longer than SQLite's busy timeout (30 s): the wait outlives one try
OUTAGE_S = 30.0


template, rig = union_fixtures(UNION)


def sent_without_message(rig: Rig, run_id: int, received: dict[Key, int]) -> list[Key]:
    """Deliveries recorded sent whose chat holds nothing: recorded but not sent."""
    return [key for key, (status, _, _) in rig.deliveries(run_id).items()
            if status == "sent" and not received.get(key)]


def claimed(rig: Rig, run_id: int, channel: str) -> set[Key]:
    return {key for key, (status, _, _) in rig.deliveries(run_id).items()
            if key[0] == channel and status == "claimed"}


class DiskFull:
    """Makes every connection the pools hand out unable to grow the file while `on`."""

    def __init__(self) -> None:
        self.on = False
        self.hit = 0  # connections handed out while full

    def attach(self, *engines: Any) -> None:
        for engine in engines:
            event.listen(engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        if self.on:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            self.hit += 1
        else:
            cursor.execute("PRAGMA max_page_count = 4294967294")
        cursor.close()


@pytest.fixture
def database_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.WARNING, logger="rupor.database")
    yield caplog


async def test_full_disk_pauses_the_run_and_it_resumes_when_space_returns(
    rig: Rig, database_log: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(rig.db_url)
    full = DiskFull()
    twin = sqlite_twin_of(engine)
    assert twin is not None
    full.attach(engine.sync_engine, twin)
    stop = asyncio.Event()
    suite = Suite(rig.settings(), engine=engine)
    running = asyncio.create_task(suite.run(stop))
    try:
        await eventually(lambda: len(suite.senders) == 3
                         and all(s.sender_id for s in suite.senders.values()), 60,
                         "the senders are running")
        assert suite.ops is not None
        # The disk fills up before the campaign is posted (by another process: the file
        # grows): the senders' first claims need room that is not there.
        full.on = True
        _, run_id = await post(rig, NewCampaign(text=TEXT))
        for sender in suite.senders.values():
            sender.wake()
        await eventually(lambda: DATABASE.problem is not None, 30, "the disk is full")
        assert DATABASE.problem is not None and DATABASE.problem.cause == "full"
        status, body = await suite.ops.health()
        assert status == 503 and body["database"]["ok"] is False
        assert body["database"]["error"] == "full"
        # Paused: the senders keep trying; VK's and Viber's first waves cannot be claimed,
        # so nothing goes out there; nothing is recorded sent before it was.
        tries = full.hit
        await eventually(lambda: full.hit >= tries + 6, 30, "the senders try again")
        received = dict(rig.received())
        assert not any(n for k, n in received.items() if k[0] != "telegram")
        assert not sent_without_message(rig, run_id, received)
        assert DATABASE.problem is not None
        full.on = False
        await eventually(lambda: rig.query(
            "SELECT COUNT(*) FROM deliveries WHERE run_id = ? AND status IN "
            "('pending', 'claimed')", run_id) == [(0,)], SEND_TIMEOUT_S, "all sent")
        await eventually(lambda: DATABASE.problem is None, 30, "the trouble is over")
        assert (await suite.ops.health())[1]["database"]["ok"]
    finally:
        full.on = False
        stop.set()
        await asyncio.wait_for(running, 30)
        await engine.dispose()
    received = dict(rig.received())
    check_nobody_lost(rig, received)
    check_duplicates(rig, run_id, [], received)
    assert not sent_without_message(rig, run_id, received)
    told = [r.getMessage() for r in database_log.records]
    assert told.count(TOLD["full"]) == 1 and RECOVERED in told, told
    check_paced(rig)


# The SQLite file locked by another process -------------------------------------------

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


class Accepted:
    """An emulator listener: set once the channel has accepted `after` messages."""

    def __init__(self, after: int) -> None:
        self.after, self.seen, self.reached = after, 0, asyncio.Event()

    def __call__(self, _message: Any) -> None:
        self.seen += 1
        if self.seen >= self.after:
            self.reached.set()


def told_lines(job: Job, cause: Cause) -> list[str]:
    """The log lines of `job` telling `cause` (its whole stderr)."""
    text = job.err.read_text(errors="replace") if job.err.exists() else ""
    return [line for line in text.splitlines() if TOLD[cause] in line]


def no_duplicates_and_nobody_lost(rig: Rig, run_id: int) -> None:
    received = dict(rig.received())
    check_nobody_lost(rig, received)
    check_duplicates(rig, run_id, [], received)
    assert not sent_without_message(rig, run_id, received)
    check_paced(rig)


@pytest.mark.long
async def test_file_locked_by_another_process_mid_run(rig: Rig, launcher: Launcher) -> None:
    """Another process holds BEGIN EXCLUSIVE for LOCK_HOLD_S while `rupor run --until-idle`
    sends: it is told once in the log, waits, and finishes by itself."""
    base = ["--config", str(rig.write_config())]
    _, run_id = await post_now(rig, launcher, base)
    started = Accepted(30)
    rig.sandbox.telegram.add_bot_message_listener(started)
    job = await launcher.start([*base, "run", "--until-idle"], rig.workdir, "run")
    await asyncio.wait_for(started.reached.wait(), SEND_TIMEOUT_S)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(rig.db_path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"locked\n"
        locked_at = time.monotonic()
        await eventually(lambda: bool(told_lines(job, "busy")), 30, "told: the database is busy")
        frozen = rig.deliveries(run_id)
        unsent = [k for k, n in rig.received().items() if n == 0 and rig.state(k) == "active"]
        assert unsent, "everything went out before the lock"
        # The fault itself lasts this long: past one busy timeout, so the wait is retried.
        await asyncio.sleep(max(0.0, LOCK_HOLD_S - (time.monotonic() - locked_at)))
        assert job.alive(), job.output()
        assert rig.deliveries(run_id) == frozen  # nothing written while it is locked
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        await asyncio.wait_for(holder.wait(), 30)
    assert await job.wait(SEND_TIMEOUT_S) == 0, job.output()
    assert len(told_lines(job, "busy")) == 1, job.output()
    no_duplicates_and_nobody_lost(rig, run_id)


# PostgreSQL out of reach for 30 s -----------------------------------------------------


@dataclass
class PgServer:
    """A throwaway PostgreSQL server on a Unix socket that a test may stop and start."""

    directory: Path
    prefix: list[str]

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str) -> str:
        return f"postgresql://rupor@/{database}?host={self.directory}&port=5432"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=60,
                       cwd=self.directory)

    def start(self) -> None:
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.directory} "
                   "-p 5432 -c fsync=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.directory / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgServer]:
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not installed")
    prefix = _as_postgres_user()
    directory = Path(tempfile.mkdtemp(prefix="rupor-pg-trouble-"))
    if prefix:
        shutil.chown(directory, user="postgres")
    server = PgServer(directory, prefix)
    server._run("initdb", "-D", str(server.data), "-A", "trust", "-U", "rupor")
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


def _sync(coroutine: Any) -> Any:
    """Run a coroutine to its end on a loop of its own (the test's loop runs the emulators)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _pg_rows(url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    parts = sql.split("?")
    numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(numbered, *params)]
    finally:
        await conn.close()


@dataclass
class PgRig(Rig):
    """The rig with its database on PostgreSQL."""

    url: str = ""

    @property
    def db_url(self) -> str:
        return self.url

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return list(_sync(_pg_rows(self.url, sql, params)))


@pytest_asyncio.fixture(loop_scope="module")
async def pg_rig(pg_server: PgServer, tmp_path: Path) -> AsyncIterator[PgRig]:
    admin = await asyncpg.connect(pg_server.url("postgres"))
    name = f"trouble_{tmp_path.name[-12:].lower()}".replace("-", "_")
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    members = Union.generate(UNION).write_members_csv(tmp_path / "members.csv")
    await import_members_file(pg_server.url(name), members)
    made = await open_rig(tmp_path, tmp_path / "unused.sqlite3", union=UNION)
    yield PgRig(made.sandbox, made.config, made.workdir, made.db_path, made.sending,
                url=pg_server.url(name))
    await made.close()


@pytest.mark.long
async def test_postgres_away_for_30_s_mid_run(pg_rig: PgRig, pg_server: PgServer,
                                              launcher: Launcher) -> None:
    """The server is stopped while `rupor run --until-idle` sends and started 30 s later:
    the run is told once, waits, resumes by itself and finishes; nothing lost or doubled."""
    rig = pg_rig
    base = ["--config", str(rig.write_config())]
    _, run_id = await post_now(rig, launcher, base)
    started = Accepted(30)
    rig.sandbox.telegram.add_bot_message_listener(started)
    job = await launcher.start([*base, "run", "--until-idle"], rig.workdir, "run")
    await asyncio.wait_for(started.reached.wait(), SEND_TIMEOUT_S)
    await asyncio.to_thread(pg_server.stop)
    stopped_at = time.monotonic()
    try:
        await eventually(lambda: bool(told_lines(job, "unreachable")), 30,
                         "told: the database is out of reach")
        received = dict(rig.received())
        assert any(n == 0 and rig.state(k) == "active" for k, n in received.items()), \
            "everything went out before the server stopped"
        # The outage itself lasts this long.
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped_at)))
        assert job.alive(), job.output()
    finally:
        await asyncio.to_thread(pg_server.start)
    assert await job.wait(SEND_TIMEOUT_S) == 0, job.output()
    assert len(told_lines(job, "unreachable")) == 1, job.output()
    no_duplicates_and_nobody_lost(rig, run_id)
