"""Database trouble that passes by itself: the SQLite file locked by another process, a full
disk, the database server out of reach. Work that must not be dropped (a batch of send
results, a claim) waits and is tried again (`persist`); the operator is told once per
episode in the log, and /healthz shows it (`DATABASE.problem`).

Any other error (a bug, a broken schema) is raised at once as before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger("rupor.database")

T = TypeVar("T")
Cause = Literal["busy", "full", "unreachable"]

# What the operator reads in the log (one line when an episode begins, one when it ends).
TOLD: dict[Cause, str] = {
    "busy": "база данных занята другим процессом (файл заблокирован): запись ждёт, "
            "рассылка продолжится, когда блокировку снимут",
    "full": "на диске нет места для базы данных (SQLITE_FULL / disk full): результаты "
            "отправки ждут в памяти, рассылка приостановлена — освободите место, "
            "и она продолжится сама",
    "unreachable": "база данных недоступна: рассылка ждёт и повторяет, пока сервер базы "
                   "не ответит",
}
RECOVERED = "база данных снова работает: рассылка продолжается"
FIRST_WAIT_S = 0.5  # the first retry: a lock or a restart is often over within a second
MAX_WAIT_S = 5.0  # then at least every 5 s, so recovery is noticed within seconds
LINGER_S = 5.0  # /healthz keeps showing a failure this long after the last one

_SQLITE_WORDS: tuple[tuple[str, Cause], ...] = (
    ("database is locked", "busy"), ("database table is locked", "busy"),
    ("database or disk is full", "full"), ("disk i/o error", "unreachable"),
    ("unable to open database", "unreachable"),
)
# PostgreSQL SQLSTATE classes: 08 connection exception, 57 operator intervention
# (admin shutdown, cannot connect now), 53 insufficient resources (53100 disk full).
_PG_CLASSES: dict[str, Cause] = {"08": "unreachable", "57": "unreachable", "53": "full"}


def cause_of(exc: BaseException) -> Cause | None:
    """Which passing trouble `exc` is, or None for an error that waiting will not cure."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "unreachable"
    if isinstance(exc, OSError):  # the server's socket refused or gone (asyncpg connect)
        return "unreachable"
    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    state = str(getattr(inner, "sqlstate", None) or getattr(inner, "pgcode", None) or "")
    if state[:2] in _PG_CLASSES:
        return _PG_CLASSES[state[:2]]
    if isinstance(exc, OperationalError) or type(inner).__module__.startswith("asyncpg"):
        text = str(inner).lower()
        for words, cause in _SQLITE_WORDS:
            if words in text:
                return cause
        if "connection" in text and ("closed" in text or "lost" in text):
            return "unreachable"
    return None


@dataclass(frozen=True)
class Problem:
    cause: Cause
    detail: str


class Trouble:
    """The process's database episodes: who is waiting, and what the operator was told.

    Thread-safe: SQLite units of work run in worker threads (core.storage.engine)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.told: Problem | None = None  # the episode the log has announced
        self.waiting = 0  # units of work waiting for the database now
        self.episodes = 0  # episodes begun since the process started
        self._last_failure = 0.0
        self._lock = threading.Lock()

    @property
    def problem(self) -> Problem | None:
        """The trouble now: someone waits for the database, or it failed a moment ago."""
        told = self.told
        if told is None or (not self.waiting and
                            self.clock() - self._last_failure > LINGER_S):
            return None
        return told

    def failing(self, cause: Cause, detail: str, *, again: bool = False) -> None:
        """A unit of work failed for `cause` (`again`: it was already counted waiting)."""
        with self._lock:
            self.waiting += 0 if again else 1
            self._last_failure = self.clock()
            if self.told is not None and self.told.cause == cause:
                return
            self.told = Problem(cause, detail)
            self.episodes += 1
        log.warning(TOLD[cause], extra={"event": f"database.{cause}", "detail": detail})

    def done(self, *, ok: bool, counted: bool = True) -> None:
        """A unit of work ended (`counted`: it was waiting); `ok`: the database took it,
        which ends the episode once nobody waits."""
        with self._lock:
            self.waiting = max(0, self.waiting - (1 if counted else 0))
            over = ok and self.waiting == 0 and self.told is not None
            if over:
                self.told = None
        if over:
            log.warning(RECOVERED, extra={"event": "database.recovered"})


DATABASE = Trouble()  # one per process: every engine of a `rupor run` uses one database


async def persist(work: Callable[[], Awaitable[T]], trouble: Trouble = DATABASE) -> T:
    """`work()` until the database takes it: passing trouble is waited out (first after
    FIRST_WAIT_S, then at least every MAX_WAIT_S), told once; other errors raise."""
    wait, failed = FIRST_WAIT_S, False
    try:
        while True:
            try:
                result = await work()
            except Exception as exc:
                cause = cause_of(exc)
                if cause is None:
                    raise
                trouble.failing(cause, _detail(exc), again=failed)
                failed = True
                await asyncio.sleep(wait)
                wait = min(MAX_WAIT_S, wait * 2)
                continue
            if failed or trouble.told is not None:
                trouble.done(ok=True, counted=failed)
                failed = False
            return result
    finally:
        if failed:  # gave up: a real error, or cancelled while waiting
            trouble.done(ok=False)


def _detail(exc: BaseException) -> str:
    inner = exc.orig if isinstance(exc, DBAPIError) else exc
    return f"{type(inner).__name__}: {str(inner).splitlines()[0] if str(inner) else ''}"
