"""Members' questions (inbound rows marked is_feedback) as the staff chat sees them.

A question's notice is queued after the inbox's commit, in one transaction with
`staff_message_ref = 'queued'`, so it is queued once and never lost; the paced reply path
sends it and records the platform's message id on the reply row, which `link_sent` copies
into staff_message_ref ("<channel>:<message id>"). A staff member's reply to that message is
mapped back by the stored message id (never by a forward's hidden sender)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from core.sending.replies import PartsSent
from core.storage.models import Contact, Inbound, Organization, Person, Reply

QUEUED = "queued"
PART_SCAN = 500  # latest notices searched for a later part of a long one
MESSENGERS = {"telegram": "Telegram", "vk": "ВКонтакте", "viber": "Viber"}


@dataclass(frozen=True)
class Question:
    inbound_id: int
    contact_id: int
    channel: str
    text: str
    received_at: datetime
    name: str
    school: str
    district: str
    answered_by: str | None = None

    @property
    def messenger(self) -> str:
        return MESSENGERS.get(self.channel, self.channel)


_School = aliased(Organization)
_District = aliased(Organization)
_COLUMNS = (Inbound.id, Inbound.contact_id, Inbound.channel, Inbound.text, Inbound.received_at,
            Person.full_name, Contact.display_name, _School.name, _District.name,
            Inbound.answered_by)


def _query() -> Select[Any]:  # the row type of _COLUMNS is long
    query = cast("Select[Any]", select(*_COLUMNS))
    return (query
            .join(Contact, Contact.id == Inbound.contact_id)
            .outerjoin(Person, Person.id == Contact.person_id)
            .outerjoin(_School, _School.id == Person.org_id)
            .outerjoin(_District, _District.id == _School.parent_id)
            .where(Inbound.is_feedback.is_(True)))


def _question(row: Row[Any]) -> Question:
    (inbound_id, contact_id, channel, text, received_at, full_name, display, school,
     district, answered_by) = tuple(row)
    return Question(int(inbound_id), int(contact_id), str(channel), str(text or ""),
                    received_at, str(full_name or display or "участник без имени"),
                    str(school or "—"), str(district or "—"), answered_by)


async def unnoticed(conn: AsyncConnection, limit: int = 50) -> list[Question]:
    """Questions whose notice is not queued yet, oldest first."""
    rows = await conn.execute(_query().where(Inbound.staff_message_ref.is_(None))
                              .order_by(Inbound.id).limit(limit))
    return [_question(row) for row in rows.all()]


async def mark_queued(conn: AsyncConnection, inbound_ids: list[int]) -> None:
    if inbound_ids:
        await conn.execute(update(Inbound).where(Inbound.id.in_(inbound_ids))
                           .values(staff_message_ref=QUEUED))


async def unanswered(conn: AsyncConnection, before: datetime | None = None,
                     limit: int = 30) -> list[Question]:
    """Unanswered questions, oldest first (received before `before` when given)."""
    query = _query().where(Inbound.answered_at.is_(None))
    if before is not None:
        query = query.where(Inbound.received_at < before)
    rows = await conn.execute(query.order_by(Inbound.id).limit(limit))
    return [_question(row) for row in rows.all()]


async def question(conn: AsyncConnection, inbound_id: int) -> Question | None:
    row = (await conn.execute(_query().where(Inbound.id == inbound_id))).first()
    return _question(row) if row is not None else None


async def replied_to(conn: AsyncConnection, staff_contact: int, message_id: str
                     ) -> Question | None:
    """The question whose notice in the staff chat is `message_id`."""
    found = (await conn.execute(select(Reply.inbound_id).where(
        Reply.contact_id == staff_contact, Reply.platform_message_id == message_id,
        Reply.inbound_id.is_not(None)))).scalar()
    if found is None:
        found = await _later_part(conn, staff_contact, message_id)
    return await question(conn, int(found)) if found is not None else None


async def _later_part(conn: AsyncConnection, staff_contact: int, message_id: str
                      ) -> int | None:
    """The question whose long notice, sent in parts, has `message_id` as a later part
    (core.sending.reply_parts); looked for among the chat's latest notices."""
    rows = await conn.execute(select(Reply.inbound_id, Reply.content).where(
        Reply.contact_id == staff_contact, Reply.inbound_id.is_not(None))
        .order_by(Reply.id.desc()).limit(PART_SCAN))
    for row in rows.all():
        content = json.loads(row.content) if isinstance(row.content, str) else row.content
        sent = PartsSent.of(content) if isinstance(content, dict) else None
        if sent is not None and message_id in sent.ids:
            return int(row.inbound_id)
    return None


async def link_sent(conn: AsyncConnection) -> int:
    """Copy each sent notice's message id into its question's staff_message_ref."""
    rows = (await conn.execute(
        select(Inbound.id, Reply.channel, Reply.platform_message_id)
        .join(Reply, and_(Reply.inbound_id == Inbound.id, Reply.status == "sent"))
        .join(Contact, and_(Contact.id == Reply.contact_id, Contact.id != Inbound.contact_id))
        .where(Inbound.staff_message_ref == QUEUED,
               Reply.platform_message_id.is_not(None))
        .order_by(Reply.id.desc()))).all()  # the notice (the first reply) is written last
    for inbound_id, channel, message_id in rows:
        await conn.execute(update(Inbound).where(Inbound.id == inbound_id)
                           .values(staff_message_ref=f"{channel}:{message_id}"))
    return len(rows)


async def mark_answered(conn: AsyncConnection, inbound_id: int, by: str, at: datetime) -> None:
    await conn.execute(update(Inbound).where(Inbound.id == inbound_id)
                       .values(answered_by=by, answered_at=at))
