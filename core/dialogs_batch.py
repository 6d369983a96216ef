"""The common inbound events of a batch handled set-based, a handful of statements in all:
texts from active members in no dialogue step (the feedback inbox and the "thanks" reply)
and delivery/read receipts from known contacts.

It gives exactly the rows Dialogs.handle gives one event at a time. A sender qualifies
only when every one of their events in the batch is such a text or receipt, since those
change neither the contact's status nor its step; any other event (a command, a button,
a step of the join dialogue, an unknown sender, a group chat) sends all of that sender's
events down the per-event path, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core import members
from core.members import ContactRow
from core.models import Inbound, Reply
from core.ports import InboundEvent, Receipt, Span, Text
from core.replies import buttons_to_json, spans_to_json

Item = tuple[int, InboundEvent]  # (inbound id, event)
SenderKey = tuple[str, str]  # (channel, external id)


@dataclass
class Plan:
    """How a batch splits: the set-based part and the events left for one-by-one handling."""

    feedback: list[tuple[int, ContactRow]] = field(default_factory=list)  # inbound id
    receipts: list[tuple[int, Receipt]] = field(default_factory=list)  # contact id
    touched: list[int] = field(default_factory=list)  # contact ids
    slow: list[Item] = field(default_factory=list)


def _simple(event: InboundEvent) -> bool:
    return isinstance(event, Text | Receipt) and not event.sender.is_group


def _settled(contact: ContactRow, events: Sequence[InboundEvent]) -> bool:
    """Dialogs._text would file their texts as feedback (receipts need only the contact)."""
    if not any(isinstance(event, Text) for event in events):
        return True
    return contact.status == "active" and not contact.state.get("step")


async def plan(conn: AsyncConnection, items: Sequence[Item]) -> Plan:
    """Split the batch with one lookup of the senders' contacts."""
    by_sender: dict[SenderKey, list[Item]] = {}
    for item in items:
        sender = item[1].sender
        by_sender.setdefault((sender.channel, sender.external_id), []).append(item)
    candidates = [key for key, its in by_sender.items() if all(_simple(e) for _, e in its)]
    contacts = await members.contacts_of(conn, candidates) if candidates else {}
    result = Plan()
    for key, its in by_sender.items():
        contact = contacts.get(key)
        if contact is None or not _settled(contact, [event for _, event in its]):
            result.slow += its
            continue
        result.touched.append(contact.id)
        for inbound_id, event in its:
            if isinstance(event, Receipt):
                result.receipts.append((contact.id, event))
            else:
                result.feedback.append((inbound_id, contact))
    result.slow.sort(key=lambda item: item[0])
    result.feedback.sort(key=lambda item: item[0])  # replies queued in arrival order
    return result


_FEEDBACK = (
    update(Inbound)
    .where(Inbound.id == bindparam("f_inbound"))
    .values(is_feedback=True, contact_id=bindparam("f_contact"))
)


async def apply(conn: AsyncConnection, found: Plan, thanks: Sequence[Span]) -> None:
    """The set-based part of the plan, inside the inbox's transaction."""
    await members.touch(conn, found.touched)
    await members.apply_receipts(conn, found.receipts)
    if not found.feedback:
        return
    await conn.execute(
        _FEEDBACK,
        [{"f_inbound": inbound_id, "f_contact": c.id} for inbound_id, c in found.feedback],
    )
    content: dict[str, Any] = {"spans": spans_to_json(thanks), "buttons": buttons_to_json(())}
    await conn.execute(
        insert(Reply),
        [
            {
                "channel": contact.channel,
                "contact_id": contact.id,
                "inbound_id": inbound_id,
                "content": content,
                "status": "pending",
                "next_attempt_at": 0.0,
            }
            for inbound_id, contact in found.feedback
        ],
    )
