"""Roles bound to messenger accounts (channel, the account's platform id as text). They are
read from the database whenever a request arrives, never kept in a dialogue.

Roles written in the member file (people.roles) describe people for segments; they grant
nothing here: only an admin's grant, from the command line or the chat, does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import reading
from core.access.rules import Role
from core.storage.models import AdminGrant, Contact, Person


async def roles_of(
    db: AsyncConnection | AsyncEngine, channel: str, external_id: str
) -> frozenset[Role]:
    """The roles this account holds now (roles unknown to this version are ignored)."""
    async with reading(db) as conn:
        names = (
            await conn.execute(
                select(AdminGrant.role).where(
                    AdminGrant.channel == channel, AdminGrant.external_id == external_id
                )
            )
        ).scalars()
        return frozenset(Role(name) for name in names if name in Role._value2member_map_)


async def grant(
    conn: AsyncConnection, channel: str, external_id: str, role: Role, by: str
) -> bool:
    """Give the account the role; False when it already held it (nothing changes). `by`
    is "cli" or the granting admin's "<channel>:<account id>"."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    result = await conn.execute(
        dialect.insert(AdminGrant)
        .values(channel=channel, external_id=external_id, role=str(role), granted_by=by)
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)


async def revoke(
    conn: AsyncConnection, channel: str, external_id: str, role: Role | None = None
) -> list[Role]:
    """Take the role (every role when None) from the account; returns what was taken."""
    query = delete(AdminGrant).where(
        AdminGrant.channel == channel, AdminGrant.external_id == external_id
    )
    if role is not None:
        query = query.where(AdminGrant.role == str(role))
    removed = (await conn.execute(query.returning(AdminGrant.role))).scalars().all()
    return sorted((Role(name) for name in removed if name in Role._value2member_map_),
                  key=list(Role).index)


@dataclass(frozen=True)
class Grant:
    channel: str
    external_id: str
    role: str
    granted_by: str
    granted_at: datetime
    name: str | None  # the member's full name when the account is a known contact


async def list_grants(db: AsyncConnection | AsyncEngine) -> list[Grant]:
    """Every grant, by messenger, account and role."""
    query = (
        select(AdminGrant.channel, AdminGrant.external_id, AdminGrant.role,
               AdminGrant.granted_by, AdminGrant.granted_at, Person.full_name)
        .outerjoin(Contact, and_(Contact.channel == AdminGrant.channel,
                                 Contact.external_id == AdminGrant.external_id))
        .outerjoin(Person, Person.id == Contact.person_id)
        .order_by(AdminGrant.channel, AdminGrant.external_id, AdminGrant.role)
    )
    async with reading(db) as conn:
        return [Grant(*row) for row in (await conn.execute(query)).all()]


async def account_name(
    db: AsyncConnection | AsyncEngine, channel: str, external_id: str
) -> str | None:
    """The full name of the member this account belongs to, if the union knows it."""
    query = (
        select(Person.full_name)
        .join(Contact, Contact.person_id == Person.id)
        .where(Contact.channel == channel, Contact.external_id == external_id)
    )
    async with reading(db) as conn:
        return (await conn.execute(query)).scalar_one_or_none()
