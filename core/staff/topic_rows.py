"""The staff_topics rows (core.storage.staff_tables): a member's topic in a staff chat,
claimed under its unique key before the platform is asked to create it, and the question a
message written in a topic answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from core.sending.split import shortened
from core.staff.questions import Question, question
from core.storage.models import Contact, Inbound
from core.storage.staff_tables import StaffTopic

CLAIM_S = 60.0  # a claim this old belongs to a process that died: another may take it over
NAME_LEN = 128  # createForumTopic: "Topic name, 1-128 characters"


@dataclass(frozen=True)
class Member:
    """Whose topic: a person (all their messengers share it), else one unlinked account."""

    key: str
    person_id: int | None
    contact_id: int


class Claim(StrEnum):
    READY = "ready"  # the topic exists
    CLAIMED = "claimed"  # this caller creates it now
    BUSY = "busy"  # another round or process is creating it


@dataclass(frozen=True)
class Claimed:
    state: Claim
    topic_id: int = 0
    thread: str | None = None


def member_of(person_id: int | None, contact_id: int) -> Member:
    key = f"p{person_id}" if person_id is not None else f"c{contact_id}"
    return Member(key, person_id, contact_id)


def topic_name(found: Question) -> str:
    """ "Иванова Мария · Школа №5 · Район" (the parts known), as long as a topic name may be."""
    parts = [found.name, *(p for p in (found.school, found.district) if p and p != "—")]
    return shortened(" · ".join(parts), NAME_LEN)


async def members_of(conn: AsyncConnection, found: Sequence[Question]) -> dict[int, Member]:
    """Question id -> whose topic it goes to."""
    contact_ids = {q.contact_id for q in found}
    rows = (await conn.execute(select(Contact.id, Contact.person_id)
                               .where(Contact.id.in_(contact_ids)))).all()
    people = {int(row.id): row.person_id for row in rows}
    return {q.inbound_id: member_of(people.get(q.contact_id), q.contact_id) for q in found}


async def thread_of(conn: AsyncConnection, channel: str, chat: str, member: str) -> str | None:
    return (await conn.execute(select(StaffTopic.thread_id).where(
        StaffTopic.channel == channel, StaffTopic.chat == chat,
        StaffTopic.member == member))).scalar()


async def claim(conn: AsyncConnection, channel: str, chat: str, member: Member, name: str,
                now: float) -> Claimed:
    """The member's topic in the chat: there already, claimed now by this caller (who must
    create it and `settle` or `unclaim`), or being created elsewhere."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    made = (await conn.execute(dialect.insert(StaffTopic).values(
        channel=channel, chat=chat, member=member.key, person_id=member.person_id,
        contact_id=member.contact_id if member.person_id is None else None, name=name,
        claimed_at=now).on_conflict_do_nothing().returning(StaffTopic.id))).scalar()
    if made is not None:
        return Claimed(Claim.CLAIMED, int(made))
    row = (await conn.execute(select(StaffTopic.id, StaffTopic.thread_id, StaffTopic.claimed_at)
                              .where(StaffTopic.channel == channel, StaffTopic.chat == chat,
                                     StaffTopic.member == member.key))).one()
    if row.thread_id is not None:
        return Claimed(Claim.READY, int(row.id), str(row.thread_id))
    if row.claimed_at > now - CLAIM_S:
        return Claimed(Claim.BUSY, int(row.id))
    taken = (await conn.execute(update(StaffTopic).where(
        StaffTopic.id == row.id, StaffTopic.thread_id.is_(None),
        StaffTopic.claimed_at == row.claimed_at).values(claimed_at=now)
        .returning(StaffTopic.id))).scalar()
    return Claimed(Claim.CLAIMED if taken is not None else Claim.BUSY, int(row.id))


async def settle(conn: AsyncConnection, topic_id: int, thread: str) -> None:
    await conn.execute(update(StaffTopic).where(StaffTopic.id == topic_id)
                       .values(thread_id=thread))


async def unclaim(conn: AsyncConnection, topic_id: int) -> None:
    """The topic was not made: the next round may try again."""
    await conn.execute(delete(StaffTopic).where(StaffTopic.id == topic_id,
                                                StaffTopic.thread_id.is_(None)))


async def forget(conn: AsyncConnection, channel: str, chat: str, thread: str) -> None:
    """The topic was deleted from the chat: the member gets a new one when next needed."""
    await conn.execute(delete(StaffTopic).where(
        StaffTopic.channel == channel, StaffTopic.chat == chat, StaffTopic.thread_id == thread))


async def topic_question(conn: AsyncConnection, channel: str, chat: str, thread: str
                         ) -> Question | None:
    """What a message written in the topic answers: the member's latest unanswered
    question, else their latest question (None: not a member's topic)."""
    topic = (await conn.execute(select(StaffTopic.person_id, StaffTopic.contact_id).where(
        StaffTopic.channel == channel, StaffTopic.chat == chat,
        StaffTopic.thread_id == thread))).first()
    if topic is None:
        return None
    if topic.person_id is not None:
        contacts = select(Contact.id).where(Contact.person_id == topic.person_id)
        mine = Inbound.contact_id.in_(contacts)
    else:
        mine = Inbound.contact_id == topic.contact_id
    found = (await conn.execute(
        select(Inbound.id).where(Inbound.is_feedback.is_(True), mine)
        .order_by(Inbound.answered_at.is_(None).desc(), Inbound.id.desc()).limit(1))).scalar()
    return await question(conn, int(found)) if found is not None else None
