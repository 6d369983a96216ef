"""The inbound path with group commit: every update stored once and handled, the state
change and the reply it queues committing together, before the platform is answered.

Concurrent `receive` calls are gathered by one writer task into batches; each batch is one
write transaction (de-duplicate, store, handle, mark handled, commit), after which every
waiter returns. One update whose handling fails is rolled back to its savepoint and stays
stored but unhandled (handled again at start or on the platform's retry); a batch that
cannot be stored is retried update by update, so one bad update fails only its own caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import inbox_store as stored
from core import ports
from core.db import writing
from core.inbox_store import EVENT_TYPES as EVENT_TYPES
from core.inbox_store import event_from_json as event_from_json
from core.inbox_store import event_to_json as event_to_json

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
    """Handles stored events (oldest first) inside the inbox's transaction; raising rolls
    back all of them, after which the inbox hands them over again one at a time."""

    async def handle_batch(self, conn: AsyncConnection, items: Sequence[Item]) -> None: ...


class OneByOne:
    """A BatchHandler that calls a single-event Handler for each event in turn."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def handle_batch(self, conn: AsyncConnection, items: Sequence[Item]) -> None:
        for inbound_id, event in items:
            await self.handler(conn, event, inbound_id)


class _HandlerFailed(Exception):
    """The batch handler raised: its transaction rolls back and the batch is redone."""

    def __init__(self, cause: Exception, items: Sequence[Item]) -> None:
        super().__init__(repr(cause))
        self.cause = cause
        # A lone update that failed is known to fail: the redo stores it without handling.
        self.known_bad = {stored.key_of(items[0][1])} if len(items) == 1 else set()


class InboxClosed(Exception):
    """The inbox stopped before the update was stored: the platform must send it again."""


@dataclass
class _Outcome:
    handled: int = 0
    duplicates: int = 0
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


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
    ) -> None:
        self.engine = engine
        self.handler: BatchHandler = (
            handler if isinstance(handler, BatchHandler) else OneByOne(handler)
        )
        self.after_commit = after_commit
        self.max_batch = max_batch
        self.duplicates = 0
        self.handled = 0
        self.transactions = 0  # committed batches (a figure for tests and benchmarks)
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
        except asyncio.CancelledError:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            raise

    async def _drain(self) -> None:
        """The writer: commit batches until nothing is pending (a new receive restarts it)."""
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
            outcome = await self._attempt(batch)
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
        self.transactions += 1
        self.handled += outcome.handled
        self.duplicates += outcome.duplicates
        for _, waiter in batch:
            if not waiter.done():  # a caller that gave up (cancelled) no longer waits
                waiter.set_result(None)
        if outcome.handled:
            await self._after_commit()

    async def _attempt(self, batch: list[Waiting]) -> _Outcome:
        """One transaction for the batch; after a handler failure the batch is redone with
        every update in its own savepoint, after a store race (PostgreSQL) once more."""
        careful, raced, bad = False, False, set[stored.Key]()
        while True:
            try:
                return await self._store_and_handle(batch, careful, bad)
            except _HandlerFailed as failed:
                log.warning("handling a batch failed (%r); one update at a time", failed.cause)
                careful, bad = True, failed.known_bad
            except IntegrityError:  # another process stored some of them first
                if raced:
                    raise
                raced = True

    async def _store_and_handle(
        self, batch: list[Waiting], careful: bool, bad: set[stored.Key]
    ) -> _Outcome:
        unique: dict[stored.Key, ports.InboundEvent] = {}
        for event, _ in batch:
            unique.setdefault(stored.key_of(event), event)
        outcome = _Outcome(duplicates=len(batch) - len(unique))
        async with writing(self.engine) as conn:
            seen = await stored.known(conn, unique)
            outcome.duplicates += sum(1 for event, _ in batch if stored.key_of(event) in seen)
            fresh = [event for key, event in unique.items() if key not in seen]
            # Optimistically stored as handled: if handling fails, this transaction rolls
            # back whole and the batch is redone carefully, so no such row is ever committed.
            new_ids = await stored.store(conn, fresh, handled=not careful)
            # A platform's retry of an update whose handling failed earlier handles it now.
            retried = [(seen[k].inbound_id, unique[k]) for k in seen if not seen[k].handled]
            todo = retried + [(new_ids[stored.key_of(event)], event) for event in fresh]
            todo = sorted((i for i in todo if stored.key_of(i[1]) not in bad), key=_first)
            marked = set() if careful else set(new_ids.values())
            outcome.handled = await self._handle(conn, todo, careful, marked)
        return outcome

    async def _handle(
        self, conn: AsyncConnection, items: Sequence[Item], careful: bool, marked: set[int]
    ) -> int:
        """Handle the items and mark them handled (but those in `marked`); how many were.
        Careful: each in its own savepoint, failures left unhandled. Else all or nothing."""
        if not items:
            return 0
        if careful:
            done = [item[0] for item in items if await self._handle_one(conn, item)]
        else:
            try:
                await self.handler.handle_batch(conn, items)
            except Exception as exc:
                raise _HandlerFailed(exc, items) from exc
            done = [inbound_id for inbound_id, _ in items]
        await stored.mark_handled(conn, [i for i in done if i not in marked])
        return len(done)

    async def _handle_one(self, conn: AsyncConnection, item: Item) -> bool:
        try:
            async with conn.begin_nested():
                await self.handler.handle_batch(conn, [item])
        except Exception:
            # Stored, so not lost: it is handled again at start or on the platform's retry.
            log.exception("handling inbound %s failed; it will be retried", item[0])
            return False
        return True

    async def handle_stored(self) -> int:
        """Handle updates a crash left stored but not handled, oldest first; how many were
        found (those whose handling fails again stay for the next start)."""
        found, after = 0, 0
        while True:
            items, handled = await self._handle_stored_batch(after)
            if not items:
                return found
            found, after = found + len(items), items[-1][0]
            self.handled += handled
            if handled:
                await self._after_commit()

    async def _handle_stored_batch(self, after: int) -> tuple[list[Item], int]:
        careful, bad = False, set[stored.Key]()
        while True:
            try:
                async with writing(self.engine) as conn:
                    items = await stored.unhandled(conn, after, self.max_batch)
                    todo = [item for item in items if stored.key_of(item[1]) not in bad]
                    return items, await self._handle(conn, todo, careful, set())
            except _HandlerFailed as failed:
                log.warning("handling stored updates failed (%r); one at a time", failed.cause)
                careful, bad = True, failed.known_bad

    async def _after_commit(self) -> None:
        if self.after_commit is not None:
            maybe = self.after_commit()
            if maybe is not None:
                await maybe


def _first(item: Item) -> int:
    return item[0]
