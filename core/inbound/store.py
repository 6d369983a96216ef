"""The inbound table in bulk, inside the caller's write transaction: which updates are
known, store the new ones, mark handled ones — a few statements per batch of updates.

The batch functions are synchronous, on core.inbound.statements's statements (the inbox runs a
batch's transaction whole in one worker thread on SQLite, through run_sync elsewhere); the
async ones serve the updates handled one by one."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core import ports
from core.inbound.statements import MARK_HANDLED, InboundRow, InboxStatements
from core.storage.models import Inbound, utcnow

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
# dataclasses.asdict deep-copies every field through a generic walk; the events are flat
# but for their Sender, so naming the fields once is several times faster per update.
_FIELDS: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls) if f.name != "sender")
    for cls in EVENT_TYPES.values()
}

Key = tuple[str, str]  # (channel, platform event id)


class Known(NamedTuple):
    inbound_id: int
    handled: bool


def key_of(event: ports.InboundEvent) -> Key:
    return event.sender.channel, event.event_id


def event_to_json(event: ports.InboundEvent) -> dict[str, Any]:
    """The event as stored in inbound.event (what event_from_json reads back)."""
    data: dict[str, Any] = {name: getattr(event, name) for name in _FIELDS[type(event)]}
    sender = event.sender
    data["sender"] = {
        "channel": sender.channel,
        "external_id": sender.external_id,
        "display_name": sender.display_name,
        "is_group": sender.is_group,
    }
    if "option_ids" in data:
        data["option_ids"] = list(data["option_ids"])
    data["type"] = type(event).__name__
    return data


def event_from_json(data: dict[str, Any]) -> ports.InboundEvent:
    fields = dict(data)
    cls = EVENT_TYPES[fields.pop("type")]
    fields["sender"] = ports.Sender(**fields["sender"])
    if "option_ids" in fields:
        fields["option_ids"] = tuple(fields["option_ids"])
    if "files" in fields:  # JSON keeps them as lists
        fields["files"] = tuple(tuple(part) for part in fields["files"])
    event: ports.InboundEvent = cls(**fields)
    return event


def text_of(event: ports.InboundEvent) -> str | None:
    if isinstance(event, ports.Text):
        return event.text
    if isinstance(event, ports.Command):
        return f"/{event.name} {event.args}".strip()
    return None


def known(sql: InboxStatements, keys: Iterable[Key]) -> dict[Key, Known]:
    """The stored updates among `keys` (locked until commit on PostgreSQL)."""
    by_channel: dict[str, list[str]] = {}
    for channel, event_id in keys:
        by_channel.setdefault(channel, []).append(event_id)
    found: dict[Key, Known] = {}
    for channel, event_ids in by_channel.items():
        for inbound_id, event_id, handled in sql.known(channel, event_ids):
            found[(channel, event_id)] = Known(inbound_id, handled)
    return found


def store(
    sql: InboxStatements, events: Sequence[ports.InboundEvent], *, handled: bool
) -> dict[Key, int]:
    """Insert the updates (none of them stored yet) in one statement, marked handled now
    or not; their ids by key."""
    if not events:
        return {}
    now = utcnow()
    at = now if handled else None
    rows = [
        InboundRow(
            event.sender.channel,
            event.event_id,
            type(event).__name__,
            text_of(event),
            event_to_json(event),
            now,
            at,
        )
        for event in events
    ]
    return {(channel, event_id): i for i, channel, event_id in sql.insert_inbound(rows)}


def mark_handled(sql: InboxStatements, inbound_ids: Sequence[int], handled: bool = True) -> None:
    if inbound_ids:
        sql.mark_handled(inbound_ids, utcnow() if handled else None)


async def mark_handled_async(conn: AsyncConnection, inbound_ids: Sequence[int]) -> None:
    if inbound_ids:
        await conn.execute(MARK_HANDLED, {"h_ids": list(inbound_ids), "h_at": utcnow()})


async def still_unhandled(conn: AsyncConnection, inbound_ids: Sequence[int]) -> set[int]:
    """Which of these stored updates nobody has handled yet, locked until commit."""
    rows = await conn.execute(
        select(Inbound.id)
        .where(Inbound.id.in_(inbound_ids), Inbound.handled_at.is_(None))
        .with_for_update()
    )
    return {int(inbound_id) for inbound_id in rows.scalars()}


async def unhandled(
    engine: AsyncEngine, after: int, limit: int
) -> list[tuple[int, ports.InboundEvent]]:
    """Stored updates not handled yet with ids above `after`, oldest first."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(Inbound.id, Inbound.event)
                .where(Inbound.handled_at.is_(None), Inbound.id > after)
                .order_by(Inbound.id)
                .limit(limit)
            )
        ).all()
    return [(int(row.id), event_from_json(dict(row.event))) for row in rows]
