"""The staff bridge's store side ([staff] bridge): who wrote (the name a relayed copy
opens with), what a replied message said (quoted in the copy), and the copies queued to
the other staff chats through the paced reply path.

No loops: a bot never receives its own messages (Telegram drops a bot's updates in our
adapter, VK sends no message_new for the community's own), and a copy someone forwards back
is recognised by RELAY_MARK (bots.chat.bridge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.ports import MediaFile, Span
from core.sending.replies import reply_content
from core.staff import texts
from core.staff.binding import chat_contact
from core.storage.models import Contact, Inbound, Person, Reply

RELAY_MARK = "💬 "
QUOTE_CHARS = 60
SCAN_MESSAGES = 500  # how far back a replied message is looked for among the chat's own


async def author_name(conn: AsyncConnection, channel: str, author_id: str | None) -> str:
    """The person's full name, else their messenger name, else their id."""
    row = (await conn.execute(
        select(Person.full_name, Contact.display_name)
        .outerjoin(Person, Person.id == Contact.person_id)
        .where(Contact.channel == channel, Contact.external_id == str(author_id)))).first()
    if row is not None and (row[0] or row[1]):
        return str(row[0] or row[1])
    return texts.BRIDGE_SOMEONE.format(id=author_id or "?")


async def quoted(conn: AsyncConnection, channel: str, chat_id: str, message_id: str
                 ) -> str | None:
    """The start of the message `message_id` in this staff chat: the bot's own (a copy or a
    notice) from its reply row, a person's from the inbox; None when it is unknown."""
    chat = (await conn.execute(select(Contact.id).where(
        Contact.channel == channel, Contact.external_id == chat_id))).scalar()
    if chat is None:
        return None
    content = (await conn.execute(select(Reply.content).where(
        Reply.contact_id == chat, Reply.platform_message_id == message_id))).scalar()
    if content is not None:
        said = "".join(str(span[0]) for span in content["spans"])
        if said.startswith(RELAY_MARK):  # a copy: quote what was said, not who said it
            said = said.partition("\n")[2]
        return _short(said)
    events: list[dict[str, Any]] = list((await conn.execute(
        select(Inbound.event).where(Inbound.contact_id == chat)
        .order_by(Inbound.id.desc()).limit(SCAN_MESSAGES))).scalars())
    found = next((e for e in events if str(e.get("message_id")) == message_id), None)
    return _short(str(found.get("text") or "")) if found is not None else None


async def relay(conn: AsyncConnection, targets: Mapping[str, str], said: str,
                media: Sequence[MediaFile], caption_limits: Mapping[str, int]) -> int:
    """Queue the copy (with its files: several from a VK message) to every target staff chat
    (channel -> chat id); how many chats."""
    for channel, chat_id in targets.items():
        contact = await chat_contact(conn, channel, chat_id)
        captioned = bool(media) and len(said) <= caption_limits.get(channel, 0)
        for number, file in enumerate(media):
            await _queue(conn, channel, contact, said if captioned and number == 0 else "",
                         file)
        if not captioned:
            await _queue(conn, channel, contact, said, None)
    return len(targets)


async def _queue(conn: AsyncConnection, channel: str, contact: int, said: str,
                 media: MediaFile | None) -> None:
    spans = (Span(said),) if said else ()
    await conn.execute(insert(Reply).values(
        channel=channel, contact_id=contact, content=reply_content(spans, media=media),
        status="pending", next_attempt_at=0.0))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
