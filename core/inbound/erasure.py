"""A member's own /delete_me (/удалить_мои_данные): the bot says what will be deleted and
asks to confirm with «Да, удалить» / «Отмена»; confirming erases the member
(core.privacy.erase) and queues a goodbye that keeps the account's messenger id only until
it is sent. A second press finds no question open and does nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.audience import members
from core.audience.members import ContactRow
from core.ports import Button, Span
from core.privacy.erase import ERASED as ERASED
from core.privacy.erase import erase, placeholder
from core.sending.replies import reply_content
from core.storage.models import Reply

COMMANDS = ("delete_me", "удалить_мои_данные")
STEP = "erase"

Buttons = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class ErasureTexts:
    ask: str  # what will be deleted, and the question
    yes: str
    no: str
    cancelled: str
    goodbye: str


async def ask(
    conn: AsyncConnection, contact: ContactRow, t: ErasureTexts
) -> tuple[str, Buttons]:
    """The question, its two buttons; the contact's step remembers it is open."""
    await members.set_state(conn, contact.id, {**contact.state, "step": STEP})
    return t.ask, ((Button(t.yes, payload="erase:yes"), Button(t.no, payload="erase:no")),)


async def press(
    conn: AsyncConnection, contact: ContactRow, value: str, t: ErasureTexts
) -> tuple[str, Buttons] | None:
    """«Да, удалить» erases and queues the goodbye; «Отмена» says so; anything else, or a
    press with no question open (a second press), changes nothing."""
    if contact.status == ERASED or contact.state.get("step") != STEP:
        return None
    if value != "yes":
        await members.set_state(conn, contact.id, {})
        return t.cancelled, ()
    by = placeholder(contact.id)  # the member themselves, already nameless
    await erase(conn, contact.person_id, by, channel=contact.channel,
                contact_id=contact.id, keep_until_sent=contact.id)
    await conn.execute(insert(Reply).values(
        channel=contact.channel, contact_id=contact.id, inbound_id=None,
        content={**reply_content([Span(t.goodbye)]), "last": True},
        status="pending", next_attempt_at=0.0,
    ))
    return None

