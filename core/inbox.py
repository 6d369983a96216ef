"""The inbound path: persist every update once, then handle it in its own transaction.

An update is stored (de-duplicated by its platform id) and committed before anything else,
so acknowledging it to the platform can never lose it; the handler's state change and the
reply it queues commit together; updates stored but not handled (a crash, a bug) are
handled again at start.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import ports
from core.db import writing
from core.models import Inbound, utcnow

log = logging.getLogger("rupor.inbox")

EVENT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        ports.Subscribed,
        ports.Unsubscribed,
        ports.Text,
        ports.Command,
        ports.ButtonPress,
        ports.PollAnswer,
        ports.Receipt,
    )
}


class Handler(Protocol):
    async def __call__(
        self, conn: AsyncConnection, event: ports.InboundEvent, inbound_id: int
    ) -> None: ...


def event_to_json(event: ports.InboundEvent) -> dict[str, Any]:
    data = dataclasses.asdict(event)
    data["type"] = type(event).__name__
    return data


def event_from_json(data: dict[str, Any]) -> ports.InboundEvent:
    fields = dict(data)
    cls = EVENT_TYPES[fields.pop("type")]
    fields["sender"] = ports.Sender(**fields["sender"])
    if "option_ids" in fields:
        fields["option_ids"] = tuple(fields["option_ids"])
    event: ports.InboundEvent = cls(**fields)
    return event


def _text_of(event: ports.InboundEvent) -> str | None:
    if isinstance(event, ports.Text):
        return event.text
    if isinstance(event, ports.Command):
        return f"/{event.name} {event.args}".strip()
    return None


class Inbox:
    """Receives translated events from the adapters (webhooks or polling)."""

    def __init__(
        self,
        engine: AsyncEngine,
        handler: Handler,
        after_commit: Callable[[], Awaitable[None] | None] | None = None,
    ) -> None:
        self.engine = engine
        self.handler = handler
        self.after_commit = after_commit
        self.duplicates = 0
        self.handled = 0

    async def receive(self, event: ports.InboundEvent) -> None:
        """Store, then handle; returns once the update is safely stored (and, normally,
        handled). A duplicate of a stored update changes nothing."""
        inbound_id, new = await self._store(event)
        if not new:
            self.duplicates += 1
        # A platform's retry of an update whose handling failed earlier handles it now
        # (exactly once: _handle re-checks inside its transaction).
        await self._handle(inbound_id, event)

    async def _store(self, event: ports.InboundEvent) -> tuple[int, bool]:
        """The stored update's id, and whether this call stored it."""
        try:
            return await self._insert(event)
        except IntegrityError:  # a concurrent retry of the same update won the race
            return await self._insert(event)

    async def _insert(self, event: ports.InboundEvent) -> tuple[int, bool]:
        channel = event.sender.channel
        async with writing(self.engine) as conn:
            seen = (
                await conn.execute(
                    select(Inbound.id).where(
                        Inbound.channel == channel, Inbound.platform_event_id == event.event_id
                    )
                )
            ).scalar_one_or_none()
            if seen is not None:
                return int(seen), False
            result = await conn.execute(
                insert(Inbound)
                .values(
                    channel=channel,
                    platform_event_id=event.event_id,
                    kind=type(event).__name__,
                    text=_text_of(event),
                    event=event_to_json(event),
                    received_at=utcnow(),
                )
                .returning(Inbound.id)
            )
            return int(result.scalar_one()), True

    async def _handle(self, inbound_id: int, event: ports.InboundEvent) -> None:
        try:
            async with writing(self.engine) as conn:
                if not await _unhandled(conn, inbound_id):
                    return  # handled already (a duplicate, or another worker got it first)
                await self.handler(conn, event, inbound_id)
                await conn.execute(
                    update(Inbound).where(Inbound.id == inbound_id).values(handled_at=utcnow())
                )
        except Exception:
            # Stored, so not lost: it is handled again at the next start.
            log.exception("handling inbound %s failed; it will be retried at start", inbound_id)
            return
        self.handled += 1
        if self.after_commit is not None:
            maybe = self.after_commit()
            if maybe is not None:
                await maybe

    async def handle_stored(self) -> int:
        """Handle updates a crash left stored but not handled, oldest first."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(Inbound.id, Inbound.event)
                    .where(Inbound.handled_at.is_(None))
                    .order_by(Inbound.id)
                )
            ).all()
        for row in rows:
            await self._handle(int(row.id), event_from_json(dict(row.event)))
        return len(rows)


async def _unhandled(conn: AsyncConnection, inbound_id: int) -> bool:
    # FOR UPDATE serialises concurrent handlers on PostgreSQL; SQLite's write transaction
    # (BEGIN IMMEDIATE) already does, and SQLAlchemy leaves the clause out there.
    handled = (
        await conn.execute(
            select(Inbound.handled_at).where(Inbound.id == inbound_id).with_for_update()
        )
    ).one()
    return handled[0] is None
