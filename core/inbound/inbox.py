"""The inbound path with group commit: every update stored once and handled, the state
change and the reply it queues committing together, before the platform is answered.

Concurrent `receive` calls are gathered by one writer task into batches. A batch is one
write transaction — de-duplicate, store, handle the common events set-based, mark them
handled, commit — run whole in one worker thread on plain sqlite3 on a SQLite file
(core.inbound.statements).
Events that need the per-event dialogue code are stored in it and handled right after in a
second transaction, before their callers return; a crash in between leaves them stored but not
handled, which `handle_stored` (at start) or the platform's retry handles.

Failures stay with their update: if the set-based step raises, the batch's transaction
rolls back and the batch is redone with every update going through the per-event step,
where each update has its own savepoint (one that fails stays stored, not handled; one
whose handler raises CancelledError passes it to its own caller alone). A batch that cannot
be stored is retried update by update, so only the caller of a bad update gets the
exception (the webhook answers 500, the platform retries).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import ports
from core.inbound import store as stored
from core.inbound.statements import InboxStatements, in_batch_transaction
from core.inbound.store import EVENT_TYPES as EVENT_TYPES
from core.inbound.store import event_from_json as event_from_json
from core.inbound.store import event_to_json as event_to_json
from core.storage.engine import writing

log = logging.getLogger("rupor.inbox")

MAX_BATCH = 500  # updates per write transaction: bounds its time and its statements' size

Item = tuple[int, ports.InboundEvent]  # (inbound id, event)


class Handler(Protocol):
    """Handles one event inside the inbox's transaction."""

    async def __call__(
        self, conn: AsyncConnection, event: ports.InboundEvent, inbound_id: int
    ) -> None: ...


@runtime_checkable
class BatchHandler(Protocol):
    """Handles stored events in two steps, each inside an inbox transaction."""

    def handle_common(self, sql: InboxStatements, items: Sequence[Item]) -> Sequence[Item]:
        """Handle set-based (synchronously, in the batch's transaction) what needs no
        per-event code; return the other items, oldest first."""
        ...

    async def handle_batch(self, conn: AsyncConnection, items: Sequence[Item]) -> None:
        """Handle these items (oldest first); raising rolls all of them back."""
        ...


class OneByOne:
    """A BatchHandler that calls a single-event Handler for each event in turn."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def handle_common(self, sql: InboxStatements, items: Sequence[Item]) -> Sequence[Item]:
        return items

    async def handle_batch(self, conn: AsyncConnection, items: Sequence[Item]) -> None:
        for inbound_id, event in items:
            await self.handler(conn, event, inbound_id)


class InboxClosed(Exception):
    """The inbox stopped before the update was stored: the platform must send it again."""


class _HandlerFailed(Exception):
    """The handler raised: its transaction rolls back and the work is redone carefully."""

    def __init__(self, cause: Exception, items: Sequence[Item]) -> None:
        super().__init__(repr(cause))
        self.cause = cause
        # A lone update that failed is known to fail: the redo stores it without handling.
        self.known_bad = {stored.key_of(items[0][1])} if len(items) == 1 else set()


@dataclass
class _Stored:
    """What a batch's store transaction did."""

    duplicates: int = 0
    handled: int = 0
    left: list[Item] = field(default_factory=list)  # stored, for the per-event step
    interrupted: set[stored.Key] = field(default_factory=set)  # by the per-event step


Waiting = tuple[ports.InboundEvent, "asyncio.Future[None]"]


class Inbox:
    """Receives translated events from the adapters (webhooks or polling)."""

    def __init__(
        self,
        engine: AsyncEngine,
        handler: Handler | BatchHandler,
        after_commit: Callable[[], Awaitable[None] | None] | None = None,
        *,
        max_batch: int = MAX_BATCH,
        portable_sql: bool = False,
    ) -> None:
        self.engine = engine
        self.handler: BatchHandler = (
            handler if isinstance(handler, BatchHandler) else OneByOne(handler)
        )
        self.after_commit = after_commit
        self.max_batch = max_batch
        self.portable_sql = portable_sql  # SQLAlchemy Core even on SQLite (for tests)
        self.duplicates = 0
        self.handled = 0
        self.batches = 0  # batches stored (a figure for tests and benchmarks)
        self._pending: list[Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    async def receive(self, event: ports.InboundEvent) -> None:
        """Return once the update is durably stored and (normally) handled, together with
        whatever else was pending; a duplicate of a stored update changes nothing. Raises
        when it could not be stored (the caller must not acknowledge it)."""
        if self._closed:
            raise InboxClosed("the inbox is closed")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event, waiter))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="inbox-writer")
        await waiter

    async def close(self) -> None:
        """Accept no more updates; finish those already accepted, then end the writer."""
        self._closed = True
        writer = self._writer
        if writer is None:
            return
        try:
            await asyncio.shield(writer)
        except asyncio.CancelledError:  # stopped while draining: stop the writer too
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            raise

    async def handle_stored(self) -> int:
        """Handle updates a crash left stored but not handled, oldest first; how many were
        found (those whose handling fails again stay for the next start)."""
        found, after = 0, 0
        while True:
            items = await stored.unhandled(self.engine, after, self.max_batch)
            if not items:
                return found
            found, after = found + len(items), items[-1][0]
            # Run through the batch path: stored and not handled, they are handled now.
            done = await self._attempt([event for _, event in items])
            self.handled += done.handled
            if done.handled:
                await self._after_commit()

    # The writer --------------------------------------------------------------------------

    async def _drain(self) -> None:
        """Commit batches until nothing is pending (a new receive starts a new writer)."""
        batch: list[Waiting] = []
        try:
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                await self._commit(batch)
                batch = []
        finally:  # cancelled mid-way: nobody may wait forever
            for _, waiter in batch + self._pending:
                if not waiter.done():
                    waiter.set_exception(InboxClosed("the inbox stopped before storing it"))
            self._pending.clear()

    async def _commit(self, batch: list[Waiting]) -> None:
        try:
            outcome = await self._attempt([event for event, _ in batch])
        except Exception as exc:
            if len({stored.key_of(event) for event, _ in batch}) > 1:
                log.warning("storing a batch of %s updates failed; one by one", len(batch))
                for waiting in batch:
                    await self._commit([waiting])
                return
            log.exception("storing an update failed; the platform will send it again")
            for _, waiter in batch:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        self.batches += 1
        self.handled += outcome.handled
        self.duplicates += outcome.duplicates
        for event, waiter in batch:
            if waiter.done():  # a caller that gave up (cancelled) no longer waits
                continue
            if stored.key_of(event) in outcome.interrupted:
                waiter.cancel()
            else:
                waiter.set_result(None)
        if outcome.handled:
            await self._after_commit()

    async def _after_commit(self) -> None:
        if self.after_commit is not None:
            maybe = self.after_commit()
            if maybe is not None:
                await maybe

    # One batch ---------------------------------------------------------------------------

    async def _attempt(self, events: list[ports.InboundEvent]) -> _Stored:
        """Store and handle the events; after a handler failure the batch is redone with
        nothing set-based, after a store race (PostgreSQL) once more."""
        unique: dict[stored.Key, ports.InboundEvent] = {}
        for event in events:
            unique.setdefault(stored.key_of(event), event)
        careful, raced, bad = False, False, set[stored.Key]()
        while True:
            work = functools.partial(self._store, events, unique, careful, bad)
            try:
                outcome = await in_batch_transaction(self.engine, work, portable=self.portable_sql)
                break
            except _HandlerFailed as failed:
                log.warning("handling a batch failed (%r); one update at a time", failed.cause)
                careful, bad = True, failed.known_bad
            except (IntegrityError, sqlite3.IntegrityError):  # another process stored some
                if raced:
                    raise
                raced = True
        if outcome.left:
            handled, outcome.interrupted = await self._handle_left(outcome.left)
            outcome.handled += handled
        return outcome

    def _store(
        self,
        events: list[ports.InboundEvent],
        unique: dict[stored.Key, ports.InboundEvent],
        careful: bool,
        bad: set[stored.Key],
        sql: InboxStatements,
    ) -> _Stored:
        """The batch's transaction (synchronous: one worker thread on SQLite)."""
        seen = stored.known(sql, unique)
        fresh = [event for key, event in unique.items() if key not in seen]
        # Stored already marked handled unless careful: the common step handles nearly all
        # of them in this transaction, and the few it leaves are unmarked below.
        new_ids = stored.store(sql, fresh, handled=not careful)
        # A platform's retry of an update whose handling failed earlier handles it now.
        todo = [(seen[k].inbound_id, unique[k]) for k in seen if not seen[k].handled]
        todo += [(new_ids[stored.key_of(event)], event) for event in fresh]
        todo = sorted((i for i in todo if stored.key_of(i[1]) not in bad), key=_first)
        left = todo if careful else self._common(sql, todo)
        waiting = {inbound_id for inbound_id, _ in left}
        done = [inbound_id for inbound_id, _ in todo if inbound_id not in waiting]
        marked = set() if careful else set(new_ids.values())
        stored.mark_handled(sql, [i for i in done if i not in marked])
        stored.mark_handled(sql, [i for i in waiting if i in marked], handled=False)
        duplicates = len(events) - len(unique)
        duplicates += sum(1 for event in events if stored.key_of(event) in seen)
        return _Stored(duplicates, len(done), list(left))

    def _common(self, sql: InboxStatements, items: list[Item]) -> Sequence[Item]:
        if not items:
            return []
        try:
            return self.handler.handle_common(sql, items)
        except Exception as exc:
            raise _HandlerFailed(exc, items) from exc

    async def _handle_left(self, left: list[Item]) -> tuple[int, set[stored.Key]]:
        """The per-event step for stored updates, each in its own savepoint (these are the
        rare events: commands, dialogue steps); how many were handled, and the updates
        whose handling was interrupted. Failures are logged, never raised: the updates
        are stored, so they are handled at start or on the platform's retry."""
        done: list[int] = []
        interrupted: set[stored.Key] = set()
        try:
            async with writing(self.engine, urgent=True) as conn:
                still = await stored.still_unhandled(conn, [i for i, _ in left])
                for item in left:
                    if item[0] not in still:
                        continue  # another process handled it in between
                    verdict = await self._handle_one(conn, item)
                    if verdict is True:
                        done.append(item[0])
                    elif verdict is None:
                        interrupted.add(stored.key_of(item[1]))
                await stored.mark_handled_async(conn, done)
        except Exception:
            log.exception("handling %s stored updates failed; retried at start", len(left))
            return 0, interrupted
        return len(done), interrupted

    async def _handle_one(self, conn: AsyncConnection, item: Item) -> bool | None:
        """Handled (True), failed (False) or interrupted by a CancelledError raised inside
        the handler, not by cancelling the writer (None: its caller gets the CancelledError,
        as if the handler had run in the caller's own task)."""
        try:
            async with conn.begin_nested():
                await self.handler.handle_batch(conn, [item])
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise
            log.warning("handling inbound %s was interrupted; it stays stored", item[0])
            return None
        except Exception:
            # Stored, so not lost: it is handled again at start or on the platform's retry.
            log.exception("handling inbound %s failed; it will be retried", item[0])
            return False
        return True


def _first(item: Item) -> int:
    return item[0]
