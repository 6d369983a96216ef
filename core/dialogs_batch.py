"""The common inbound events of a batch handled set-based, a handful of statements in all:
texts from active members in no dialogue step (the feedback inbox and the "thanks" reply)
and delivery/read receipts from known contacts.

It gives exactly the rows Dialogs.handle gives one event at a time. A sender qualifies
only when every one of their events in the batch is such a text or receipt, since those
change neither the contact's status nor its step; any other event (a command, a button,
a step of the join dialogue, an unknown sender, a group chat) sends all of that sender's
events down the per-event path, in order.

Synchronous on purpose: the inbox runs it inside the batch's transaction in one worker
thread (SQLite) or through run_sync (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, text, update

from core.members import ContactRow, receipt_sql
from core.models import Contact, Inbound, Reply, utcnow
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


def handle_common(conn: Connection, items: Sequence[Item], thanks: Sequence[Span]) -> list[Item]:
    """Handle the common events of the batch; the others, oldest first, are returned."""
    found = plan(conn, items)
    apply(conn, found, thanks)
    return found.slow


def _simple(event: InboundEvent) -> bool:
    return isinstance(event, Text | Receipt) and not event.sender.is_group


def _settled(contact: ContactRow, events: Sequence[InboundEvent]) -> bool:
    """Dialogs._text would file their texts as feedback (receipts need only the contact)."""
    if not any(isinstance(event, Text) for event in events):
        return True
    return contact.status == "active" and not contact.state.get("step")


def plan(conn: Connection, items: Sequence[Item]) -> Plan:
    """Split the batch with one lookup of the senders' contacts."""
    by_sender: dict[SenderKey, list[Item]] = {}
    for item in items:
        sender = item[1].sender
        by_sender.setdefault((sender.channel, sender.external_id), []).append(item)
    candidates = [key for key, its in by_sender.items() if all(_simple(e) for _, e in its)]
    contacts = contacts_of(conn, candidates) if candidates else {}
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


# Statements built once: building one per batch (coercing every id of an IN list) cost
# more CPU than executing it.
_CONTACTS = select(
    Contact.id, Contact.external_id, Contact.person_id, Contact.status, Contact.dialog_state
).where(
    Contact.channel == bindparam("c_channel"),
    Contact.external_id.in_(bindparam("c_ids", expanding=True)),
)
_TOUCH = (
    update(Contact)
    .where(Contact.id.in_(bindparam("t_ids", expanding=True)))
    .values(last_inbound_at=bindparam("t_at"))
)
_REPLY = insert(Reply)


def contacts_of(conn: Connection, senders: Sequence[SenderKey]) -> dict[SenderKey, ContactRow]:
    """The existing contacts of these senders, one query per channel; senders without a
    contact are absent (members.contact_for would create them)."""
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in senders:
        by_channel.setdefault(channel, []).append(external_id)
    found: dict[SenderKey, ContactRow] = {}
    for channel, external_ids in by_channel.items():
        rows = conn.execute(_CONTACTS, {"c_channel": channel, "c_ids": external_ids})
        for row in rows.all():
            found[(channel, row.external_id)] = ContactRow(
                int(row.id), row.person_id, row.status, dict(row.dialog_state or {}), channel
            )
    return found


_FEEDBACK = (
    update(Inbound)
    .where(Inbound.id == bindparam("f_inbound"))
    .values(is_feedback=True, contact_id=bindparam("f_contact"))
)


def apply(conn: Connection, found: Plan, thanks: Sequence[Span]) -> None:
    """The set-based part of the plan: what members.contact_for, apply_receipt, the
    feedback branch of Dialogs._text and queue_reply do, for all of them at once."""
    if found.touched:
        conn.execute(_TOUCH, {"t_ids": found.touched, "t_at": utcnow()})
    apply_receipts(conn, found.receipts)
    if not found.feedback:
        return
    conn.execute(
        _FEEDBACK,
        [{"f_inbound": inbound_id, "f_contact": c.id} for inbound_id, c in found.feedback],
    )
    content: dict[str, Any] = {"spans": spans_to_json(thanks), "buttons": buttons_to_json(())}
    conn.execute(
        _REPLY,
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


def apply_receipts(conn: Connection, receipts: Sequence[tuple[int, Receipt]]) -> None:
    """members.apply_receipt for each (contact id, receipt), one executemany per kind.
    Receipts only move deliveries forward, so their order does not change the result."""
    groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for contact_id, receipt in receipts:
        target = "read" if receipt.kind == "read" else "delivered"
        pmid: int | str = (
            int(receipt.platform_message_id) if receipt.up_to else receipt.platform_message_id
        )
        groups.setdefault((target, receipt.up_to), []).append(
            {"target": target, "cid": contact_id, "pmid": pmid}
        )
    for (target, up_to), params in groups.items():
        conn.execute(text(receipt_sql(target, up_to)), params)
