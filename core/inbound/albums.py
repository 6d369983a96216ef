"""A member's album (several files sent together: Telegram media_group_id) is one question:
its first part is filed as feedback and thanked as any message; the later parts are kept
with the question's id in `staff_message_ref` ("album:<id>"), never a question of their
own, never thanked again. The staff chat gets every part's file linked to that question
(core.staff.files). The album being collected is remembered per contact in the state table."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.storage.models import Inbound, KeyValue

PART_PREFIX = "album:"


def _key(contact_id: int) -> str:
    return f"album:{contact_id}"


async def filed_as_part(conn: AsyncConnection, contact_id: int, media_group: str,
                        inbound_id: int) -> bool:
    """Inside the inbox's transaction: True when this message is a later part of an album
    whose first part is already a question (kept as its part); False for the first part,
    which the caller files as a question (remembered here as the album's question)."""
    key = _key(contact_id)
    found = (await conn.execute(select(KeyValue.value).where(KeyValue.key == key))).scalar()
    group, _, head = str(found or "").rpartition(":")
    if found is not None and group == media_group:
        await conn.execute(update(Inbound).where(Inbound.id == inbound_id).values(
            contact_id=contact_id, staff_message_ref=f"{PART_PREFIX}{head}"))
        return True
    await conn.execute(delete(KeyValue).where(KeyValue.key == key))
    await conn.execute(insert(KeyValue).values(key=key, value=f"{media_group}:{inbound_id}"))
    return False
