"""Which group chat is the staff chat, per channel: bound by an admin's /bind_staff and kept
in the `state` table ("staff:chat:<channel>"), or preset by a setting (Telegram
staff_chat_id, VK staff_peer_id) until someone binds another."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import reading
from core.audience.members import contact_for
from core.ports import Sender
from core.storage.models import Contact, KeyValue

PREFIX = "staff:chat:"


async def bind(conn: AsyncConnection, channel: str, chat_id: str, title: str = "") -> int:
    """Make `chat_id` the channel's staff chat (inside the caller's transaction); its
    contact id (a group contact, created if the bot never wrote there)."""
    key = PREFIX + channel
    await conn.execute(delete(KeyValue).where(KeyValue.key == key))
    await conn.execute(insert(KeyValue).values(key=key, value=chat_id))
    contact = await contact_for(conn, Sender(channel, chat_id, title, is_group=True))
    return contact.id


async def staff_chats(db: AsyncConnection | AsyncEngine,
                      presets: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every channel's staff chat id: the bound one, else the preset."""
    async with reading(db) as conn:
        rows = (await conn.execute(select(KeyValue.key, KeyValue.value)
                                   .where(KeyValue.key.startswith(PREFIX)))).all()
    found = dict(presets or {})
    found.update({key.removeprefix(PREFIX): value for key, value in rows})
    return found


async def chat_contact(conn: AsyncConnection, channel: str, chat_id: str) -> int:
    """The staff chat's contact id (created as a group contact when missing)."""
    found = (await conn.execute(select(Contact.id).where(
        Contact.channel == channel, Contact.external_id == chat_id))).scalar()
    if found is not None:
        return int(found)
    return (await contact_for(conn, Sender(channel, chat_id, is_group=True))).id
