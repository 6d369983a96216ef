"""The common inbound events of a batch handled set-based, a handful of statements in all:
texts from members and former members in no dialogue step (the feedback inbox and the
"thanks" reply; a former member's also offers to come back, never re-subscribes them) and
delivery/read receipts from known contacts.

It gives exactly the rows Dialogs.handle gives one event at a time. A sender qualifies
only when every one of their events in the batch is such a text or receipt, since those
change neither the contact's status nor its step (nor write a consent); any other event
(a command, a button, a step of the join dialogue, an unknown sender, a group chat) sends
all of that sender's events down the per-event path, in order.

Synchronous on purpose: the inbox runs it inside the batch's transaction in one worker
thread (SQLite) or through run_sync (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.audience.members import ContactRow, receipt_sql
from core.inbound import albums
from core.inbound.statements import InboxStatements, ReplyRow
from core.ports import Button, InboundEvent, Receipt, Span, Text
from core.sending.replies import reply_content
from core.storage.models import Inbound, utcnow

Item = tuple[int, InboundEvent]  # (inbound id, event)
SenderKey = tuple[str, str]  # (channel, external id)


@dataclass
class Plan:
    """How a batch splits: the set-based part and the events left for one-by-one handling."""

    feedback: list[tuple[int, ContactRow]] = field(default_factory=list)  # inbound id
    receipts: list[tuple[int, Receipt]] = field(default_factory=list)  # contact id
    touched: list[int] = field(default_factory=list)  # contact ids
    slow: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class Acknowledgements:
    """The replies to a message filed as feedback: to a member, and to a former member
    (with the button that brings them back)."""

    member: tuple[Span, ...]
    former: tuple[Span, ...]
    former_buttons: tuple[tuple[Button, ...], ...] = ()

    def content(self, contact: ContactRow) -> dict[str, Any]:
        if contact.status == "active":
            return reply_content(self.member)
        return reply_content(self.former, self.former_buttons)


def former_member(contact: ContactRow) -> bool:
    """A member who left (unsubscribed, blocked, unreachable): their messages are heard like
    anyone's, and only their own /start or "Подписаться снова" brings them back."""
    return contact.person_id is not None and contact.status not in ("active", "pending")


async def filed_apart(conn: AsyncConnection, contact: ContactRow, event: Text,
                      inbound_id: int, template: str) -> bool:
    """Texts Dialogs does not thank (the batch's fast path leaves them to it): a member's
    edited message, filed for the staff as a follow-up that says so (`template`; core.staff
    posts it like a question), and an album's later parts (core.inbound.albums). An edit in
    the middle of joining changes nothing."""
    heard = contact.status == "active" or former_member(contact)
    if event.edited:
        if heard and not contact.state.get("step"):
            await conn.execute(update(Inbound).where(Inbound.id == inbound_id).values(
                is_feedback=True, contact_id=contact.id, text=template.format(text=event.text)))
        return True
    if event.media_group and heard and not contact.state.get("step"):
        return await albums.filed_as_part(conn, contact.id, event.media_group, inbound_id)
    return False


def handle_common(
    sql: InboxStatements, items: Sequence[Item], acks: Acknowledgements
) -> list[Item]:
    """Handle the common events of the batch; the others, oldest first, are returned."""
    found = plan(sql, items)
    apply(sql, found, acks)
    return found.slow


def _simple(event: InboundEvent) -> bool:
    if isinstance(event, Text) and (event.edited or event.media_group):
        return False  # an edit or an album: Dialogs._text (filed_apart)
    return isinstance(event, Text | Receipt) and not event.sender.is_group


def _settled(contact: ContactRow, events: Sequence[InboundEvent]) -> bool:
    """Dialogs._text would file their texts as feedback (receipts need only the contact)."""
    if not any(isinstance(event, Text) for event in events):
        return True
    filed = contact.status == "active" or former_member(contact)
    return filed and not contact.state.get("step")


def plan(sql: InboxStatements, items: Sequence[Item]) -> Plan:
    """Split the batch with one lookup of the senders' contacts."""
    by_sender: dict[SenderKey, list[Item]] = {}
    for item in items:
        sender = item[1].sender
        by_sender.setdefault((sender.channel, sender.external_id), []).append(item)
    candidates = [key for key, its in by_sender.items() if all(_simple(e) for _, e in its)]
    contacts = contacts_of(sql, candidates) if candidates else {}
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


def contacts_of(sql: InboxStatements, senders: Sequence[SenderKey]) -> dict[SenderKey, ContactRow]:
    """The existing contacts of these senders, one query per channel; senders without a
    contact are absent (members.contact_for would create them)."""
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in senders:
        by_channel.setdefault(channel, []).append(external_id)
    found: dict[SenderKey, ContactRow] = {}
    for channel, external_ids in by_channel.items():
        for row in sql.contacts(channel, external_ids):
            found[(channel, row.external_id)] = ContactRow(
                row.id, row.person_id, row.status, dict(row.dialog_state or {}), channel
            )
    return found


def apply(sql: InboxStatements, found: Plan, acks: Acknowledgements) -> None:
    """The set-based part of the plan: what members.contact_for, apply_receipt, the
    feedback branch of Dialogs._text and queue_reply do, for all of them at once."""
    if found.touched:
        sql.touch(found.touched, utcnow())
    apply_receipts(sql, found.receipts)
    if not found.feedback:
        return
    sql.file_feedback([(inbound_id, contact.id) for inbound_id, contact in found.feedback])
    sql.insert_replies(
        [
            ReplyRow(contact.channel, contact.id, inbound_id, acks.content(contact))
            for inbound_id, contact in found.feedback
        ]
    )


def apply_receipts(sql: InboxStatements, receipts: Sequence[tuple[int, Receipt]]) -> None:
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
        sql.execute_many(receipt_sql(target, up_to), params)
