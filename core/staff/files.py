"""Members' files shown to the staff: each photo or document a member sends with a
question — every part of an album too (core.inbound.albums) — goes to the staff chats after
the question's notice, as a reply row linked to that question, so a staff member's reply to
the file answers the question as a reply to the notice does.

Staff who use only Viber (no group chats there) get the files in their own chats, after
one caption for the question's files (a Viber file message has none).

A cursor in the state table (the last inbound id looked at) makes each file go once: the
bot layer fetches the files of `files_due` (network, outside any transaction), then queues
them with `queue_file` and moves the cursor in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.ports import MediaFile, Span
from core.sending.replies import reply_content
from core.staff import texts
from core.storage.models import Inbound, KeyValue, Reply

CURSOR_KEY = "staff:files_after"
PART_PREFIX = "album:"  # an album's later part: core.inbound.albums keeps its question so
BATCH = 20


@dataclass(frozen=True)
class QuestionFile:
    inbound_id: int  # the member's message carrying the file
    question_id: int  # the question it belongs to (itself, or its album's first part)
    event: dict[str, Any]  # the stored event (core.inbound.store.event_to_json)


async def cursor(conn: AsyncConnection) -> int | None:
    """The last inbound id looked at (None before the first move)."""
    value = (await conn.execute(select(KeyValue.value)
                                .where(KeyValue.key == CURSOR_KEY))).scalar()
    return None if value is None else int(value)


async def newest(conn: AsyncConnection) -> int:
    """Where the cursor starts: files sent before this feature ran are not carried."""
    return int((await conn.execute(select(func.max(Inbound.id)))).scalar() or 0)


async def move_cursor(conn: AsyncConnection, to: int) -> None:
    await conn.execute(delete(KeyValue).where(KeyValue.key == CURSOR_KEY))
    await conn.execute(insert(KeyValue).values(key=CURSOR_KEY, value=str(to)))


async def files_due(conn: AsyncConnection, after: int) -> tuple[list[QuestionFile], int]:
    """Members' files after `after`, in order, up to the first message not handled yet or
    whose question's notice is not queued yet; and where the cursor may move."""
    rows = (await conn.execute(
        select(Inbound.id, Inbound.handled_at, Inbound.is_feedback, Inbound.staff_message_ref,
               Inbound.event)
        .where(Inbound.id > after, Inbound.kind == "Text").order_by(Inbound.id)
        .limit(BATCH))).all()
    due: list[QuestionFile] = []
    for row in rows:
        if row.handled_at is None:
            break
        question = await _question_of(conn, row)
        if question is not None and question[1] is None:
            break  # its notice is not queued yet: the file follows it
        if question is not None and _has_file(row.event):
            due.append(QuestionFile(int(row.id), question[0], dict(row.event)))
        after = int(row.id)
    return due, after


async def _question_of(conn: AsyncConnection, row: Any) -> tuple[int, str | None] | None:
    """(the question's id, its notice's ref) for a member's question or album part."""
    if row.is_feedback:
        return int(row.id), row.staff_message_ref
    ref = str(row.staff_message_ref or "")
    if not ref.startswith(PART_PREFIX):
        return None
    head = int(ref.removeprefix(PART_PREFIX))
    notice = (await conn.execute(select(Inbound.staff_message_ref)
                                 .where(Inbound.id == head))).scalar()
    return head, notice


def _has_file(event: Any) -> bool:
    return (isinstance(event, dict) and bool(event.get("attachment"))
            and not (event.get("sender") or {}).get("is_group"))


async def queue_files(conn: AsyncConnection, channel: str, chat_contact: int,
                      question_id: int, media: Sequence[MediaFile], caption_limit: int = 1024,
                      solo: bool = False) -> int:
    """A question's files to a staff chat (`solo`: a staff member's own chat), each captioned
    with the question's number; where the messenger takes no caption that long (Viber: none
    at all) one caption goes first as its own message, then the files alone. How many
    messages."""
    template = texts.QUESTION_FILE_1TO1 if solo else texts.QUESTION_FILE
    caption = (Span(template.format(id=question_id)),)
    if len(caption[0].text) <= caption_limit:
        said = [reply_content(caption, media=file) for file in media]
    else:
        said = [reply_content(caption), *(reply_content((), media=file) for file in media)]
    for content in said:
        await conn.execute(insert(Reply).values(
            channel=channel, contact_id=chat_contact, inbound_id=question_id,
            content=content, status="pending", next_attempt_at=0.0))
    return len(said)
