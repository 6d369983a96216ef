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
import logging
import shutil
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import event

from bots.suite import Suite
from core.campaigns.store import NewCampaign
from core.storage.engine import create_engine, sqlite_twin_of
from core.storage.trouble import DATABASE, RECOVERED, TOLD, Cause
from sandbox.union import Union, UnionKnobs
from tests.e2e.crash_support import (
    TEXT,
    check_duplicates,
    check_nobody_lost,
    check_paced,
    post_now,
)
from tests.e2e.processes import Job, Launcher
from tests.e2e.rig import Key, Rig, eventually, import_members_file, open_rig, post

pytestmark = pytest.mark.asyncio(loop_scope="module")

# About 120 on Telegram (four seconds at 30/s: the trouble comes while it sends), 1,500 on
# VK and 1,500 on Viber.
UNION = UnionKnobs(seed=7, districts=3, schools=30, members=3200, staff=0,
                   share_telegram=0.02, share_vk=0.47, share_viber=0.47, share_two=0.04,
                   share_none=0.0)
SEND_TIMEOUT_S = 120.0
LOCK_HOLD_S = 35.0  # longer than SQLite's busy timeout (30 s): the wait outlives one try
OUTAGE_S = 30.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    workdir = tmp_path_factory.mktemp("db-trouble-template")
    members = Union.generate(UNION).write_members_csv(workdir / "members.csv")
    database = workdir / "template.sqlite3"
    await import_members_file(f"sqlite:///{database}", members)
    yield database


@pytest_asyncio.fixture(loop_scope="module")
async def rig(template: Path, tmp_path: Path) -> AsyncIterator[Rig]:
    shutil.copyfile(template, tmp_path / "rupor.sqlite3")
    made = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", union=UNION)
    yield made
    await made.close()


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
        await eventually(lambda: full.hit >= tries + 20, 30, "the senders try again")
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
