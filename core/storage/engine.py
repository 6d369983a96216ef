"""Engine and session factory: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.config import async_database_url
from core.storage.trouble import DATABASE, cause_of
from core.storage.write_lock import WriteLock

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A writer waits this long for another process's lock before the operator is told (in the
# log, once) that the database is busy; then the full busy timeout more.
SQLITE_BUSY_NOTICE_MS = 2_000
T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # WAL + NORMAL is durable against process crashes (kill -9); only an OS crash may lose
    # the last transactions, which is the SQLite-documented trade-off.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def ensure_sqlite_dir(url: str) -> None:
    """Create the directory of a SQLite file (e.g. ./var) so a fresh checkout just works."""
    parsed = make_url(async_database_url(url))
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
    dbapi_connection.isolation_level = None


def _writer_busy_notice(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_NOTICE_MS}")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    # another writer committed in between (WAL snapshot); IMMEDIATE takes the write lock
    # up front, so it waits its turn under busy_timeout instead: first the notice's
    # short wait, then (the operator told) the full one.
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    except OperationalError as exc:
        if cause_of(exc) != "busy":
            raise
        DATABASE.failing("busy", str(exc.orig))
    ok = False
    try:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        ok = True
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_NOTICE_MS}")
        DATABASE.done(ok=ok)


def _begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def create_engine(url: str, *, readonly: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine for a sqlite:/// or postgresql:// URL (drivers chosen for them).

    On SQLite every transaction of a writing engine begins IMMEDIATE; `readonly` engines
    (reports, statistics) begin deferred and never hold the write lock.
    """
    ensure_sqlite_dir(url)
    engine = create_async_engine(async_database_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "connect", _manual_transactions)
        if not readonly:
            event.listen(engine.sync_engine, "connect", _writer_busy_notice)
        begin = _begin_deferred if readonly else _begin_immediate
        event.listen(engine.sync_engine, "begin", begin)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, WriteLock] = weakref.WeakKeyDictionary()


def write_lock(engine: AsyncEngine) -> WriteLock:
    """The lock `writing` queues on, for writers that open their transaction elsewhere."""
    lock = _WRITERS.get(engine)
    if lock is None:
        lock = _WRITERS[engine] = WriteLock()
    return lock


@contextlib.asynccontextmanager
async def writing(engine: AsyncEngine, *, urgent: bool = False
                  ) -> AsyncIterator[AsyncConnection]:
    """A write transaction that queues behind this process's other hot-path writers
    (`urgent`: ahead of them — a person waits for it; see core.storage.write_lock).

    SQLite has one writer at a time; when two of our connections meet at its lock, its busy
    handler sleeps in steps of 1 to 100 ms. Queueing in the event loop instead hands the
    lock over at once. Other processes still meet at SQLite's lock (busy timeout).
    """
    async with write_lock(engine).held(urgent=urgent), engine.begin() as conn:
        yield conn


def sqlite_twin(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file, set up like `engine`, for a unit of
    work run whole in one worker thread; None for other databases.

    Through aiosqlite every statement costs four hops to its thread (cursor, execute,
    fetch, close), about 0.6 ms of CPU on the benchmark VM; a thread running pysqlite
    directly pays one hop for a whole transaction.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    # Used by one worker thread at a time, not always the same one (asyncio.to_thread).
    twin = create_sync_engine(
        url.set(drivername="sqlite"), connect_args={"check_same_thread": False}
    )
    event.listen(twin, "connect", _sqlite_pragmas)
    event.listen(twin, "connect", _manual_transactions)
    event.listen(twin, "connect", _writer_busy_notice)
    event.listen(twin, "begin", _begin_immediate)
    # Disposing the engine closes the twin's connections too: the last connection to close
    # checkpoints the WAL into the file, which may then be copied or backed up whole.
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: twin.dispose())
    return twin


_TWINS: weakref.WeakKeyDictionary[AsyncEngine, Engine | None] = weakref.WeakKeyDictionary()


def sqlite_twin_of(engine: AsyncEngine) -> Engine | None:
    """The engine's synchronous twin (made once, then kept with the engine), or None."""
    if engine not in _TWINS:
        _TWINS[engine] = sqlite_twin(engine)
    return _TWINS[engine]


async def in_write_transaction(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """`work` in one write transaction, queued behind this process's other writers: on a
    SQLite file whole in a worker thread (one thread hop, and the event loop keeps running
    while the rows are built), elsewhere through run_sync, statement by statement."""
    twin = sqlite_twin_of(engine)
    if twin is None:
        async with writing(engine) as conn:
            return await conn.run_sync(work)
    async with write_lock(engine):
        return await asyncio.to_thread(_run_in_transaction, twin, work)


def _run_in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as conn:
        return work(conn)
