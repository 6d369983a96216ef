"""Contacts and people as members change them: join, consent, leave, link, receipts.

Every function runs inside the caller's transaction (the inbox commits the state change
together with the reply it queues).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.audience.contacts import mark_contacts
from core.audience.roles import Role
from core.ports import Receipt, Sender
from core.storage.models import Consent, Contact, LinkCode, Organization, Person, utcnow

LINK_CODE_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class ContactRow:
    id: int
    person_id: int | None
    status: str
    state: dict[str, Any]
    channel: str


async def contact_for(conn: AsyncConnection, sender: Sender) -> ContactRow:
    """The sender's contact, created as pending (no consent yet) on first contact."""
    row = (
        await conn.execute(
            select(Contact.id, Contact.person_id, Contact.status, Contact.dialog_state).where(
                Contact.channel == sender.channel, Contact.external_id == sender.external_id
            )
        )
    ).first()
    now = utcnow()
    if row is None:
        contact_id = (
            await conn.execute(
                insert(Contact)
                .values(
                    channel=sender.channel,
                    external_id=sender.external_id,
                    kind="group" if sender.is_group else "user",
                    status="pending",
                    display_name=sender.display_name or None,
                    last_inbound_at=now,
                    dialog_state={},
                )
                .returning(Contact.id)
            )
        ).scalar_one()
        return ContactRow(int(contact_id), None, "pending", {}, sender.channel)
    await conn.execute(update(Contact).where(Contact.id == row.id).values(last_inbound_at=now))
    return ContactRow(
        int(row.id), row.person_id, row.status, dict(row.dialog_state or {}), sender.channel
    )


async def set_state(conn: AsyncConnection, contact_id: int, state: dict[str, Any]) -> None:
    await conn.execute(update(Contact).where(Contact.id == contact_id).values(dialog_state=state))


async def record_consent(
    conn: AsyncConnection, contact: ContactRow, version: str, source: str, action: str = "given"
) -> None:
    await conn.execute(
        insert(Consent).values(
            person_id=contact.person_id,
            contact_id=contact.id,
            channel=contact.channel,
            text_version=version,
            source=source,
            action=action,
        )
    )


async def consented_before(conn: AsyncConnection, contact_id: int) -> bool:
    """The contact gave consent at some point (it may have been withdrawn since)."""
    given = (
        await conn.execute(
            select(Consent.id)
            .where(Consent.contact_id == contact_id, Consent.action == "given")
            .limit(1)
        )
    ).scalar_one_or_none()
    return given is not None


async def organization(
    conn: AsyncConnection, *, code: str | None = None, org_id: int | None = None
) -> dict[str, Any] | None:
    query = select(
        Organization.id,
        Organization.name,
        Organization.kind,
        Organization.parent_id,
        Organization.full_name,
    )
    query = (
        query.where(Organization.code == code) if code else query.where(Organization.id == org_id)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else dict(row._mapping)


async def children(
    conn: AsyncConnection, kind: str, parent_id: int | None
) -> list[tuple[int, str]]:
    """Districts (parent None = under any region) or the schools of a district, by name."""
    query = select(Organization.id, Organization.name).where(Organization.kind == kind)
    if parent_id is not None:
        query = query.where(Organization.parent_id == parent_id)
    rows = await conn.execute(query.order_by(Organization.name))
    return [(int(i), str(n)) for i, n in rows.all()]


def normalize_name(name: str) -> str:
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").split())


async def attach_person(
    conn: AsyncConnection, contact: ContactRow, org_id: int, full_name: str, young: bool
) -> int:
    """Link the contact to the member with this name in the organisation (an imported member
    joining by themselves), or register a new member; the contact becomes active."""
    name = normalize_name(full_name)
    # SQLite's lower() folds ASCII only: compare Cyrillic names here (a school is small).
    people = await conn.execute(
        select(Person.id, Person.full_name)
        .where(Person.org_id == org_id, Person.erased_at.is_(None))
        .order_by(Person.id)
    )
    person_id = next(
        (pid for pid, known in people.all() if normalize_name(known).casefold() == name.casefold()),
        None,
    )
    roles = int(Role.MEMBER | (Role.YOUNG_TEACHER if young else 0))
    if person_id is None:
        person_id = (
            await conn.execute(
                insert(Person)
                .values(full_name=name, org_id=org_id, roles=roles, member_id_key="")
                .returning(Person.id)
            )
        ).scalar_one()
    elif young:
        await conn.execute(
            update(Person)
            .where(Person.id == person_id)
            .values(roles=Person.roles.op("|")(int(Role.YOUNG_TEACHER)))
        )
    await activate(conn, contact.id, int(person_id))
    await conn.execute(
        update(Consent)
        .where(Consent.contact_id == contact.id, Consent.person_id.is_(None))
        .values(person_id=person_id)
    )
    return int(person_id)


async def activate(conn: AsyncConnection, contact_id: int, person_id: int | None) -> None:
    values: dict[str, Any] = {"status": "active", "subscribed_at": utcnow()}
    if person_id is not None:
        values["person_id"] = person_id
    await conn.execute(update(Contact).where(Contact.id == contact_id).values(values))


async def leave(conn: AsyncConnection, contact: ContactRow, status: str, version: str) -> None:
    """The member left (unsubscribed) or blocked the bot: effective before the next batch."""
    await mark_contacts(conn, {contact.id: status})
    await record_consent(conn, contact, version, "dialog", action="withdrawn")


async def set_young_teacher(conn: AsyncConnection, person_id: int, young: bool) -> None:
    bit = int(Role.YOUNG_TEACHER)
    new = Person.roles.op("|")(bit) if young else Person.roles.op("&")(~bit)
    await conn.execute(update(Person).where(Person.id == person_id).values(roles=new))


async def new_link_code(conn: AsyncConnection, person_id: int) -> str:
    code = f"{secrets.randbelow(900000) + 100000}"
    await conn.execute(
        insert(LinkCode).values(code=code, person_id=person_id, expires_at=utcnow() + LINK_CODE_TTL)
    )
    return code


async def use_link_code(conn: AsyncConnection, code: str, contact: ContactRow) -> int | None:
    """Attach the contact to the code's person; the code works once, for LINK_CODE_TTL."""
    now = utcnow()
    row = (
        await conn.execute(
            select(LinkCode.person_id).where(
                LinkCode.code == code.strip(),
                LinkCode.used_at.is_(None),
                LinkCode.expires_at > now,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    await conn.execute(update(LinkCode).where(LinkCode.code == code.strip()).values(used_at=now))
    await activate(conn, contact.id, int(row))
    return int(row)


async def apply_receipt(conn: AsyncConnection, contact_id: int, receipt: Receipt) -> int:
    """Move the matching deliveries to delivered or read, never backwards."""
    target = "read" if receipt.kind == "read" else "delivered"
    value: int | str = (
        int(receipt.platform_message_id) if receipt.up_to else receipt.platform_message_id
    )
    result = await conn.execute(
        text(receipt_sql(target, receipt.up_to)),
        {"target": target, "cid": contact_id, "pmid": value},
    )
    return max(result.rowcount, 0)


def receipt_sql(target: str, up_to: bool) -> str:
    before = ("sent", "delivered", "uncertain") if target == "read" else ("sent", "uncertain")
    statuses = ", ".join(f"'{s}'" for s in before)
    # VK message_read: every message up to this id was read.
    condition = "CAST(platform_message_id AS BIGINT) <= :pmid" if up_to else (
        "platform_message_id = :pmid"
    )
    return (
        f"UPDATE deliveries SET status = :target WHERE contact_id = :cid "
        f"AND platform_message_id IS NOT NULL AND status IN ({statuses}) AND {condition}"
    )

