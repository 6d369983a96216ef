"""A staff member's answer to a member's question: queued to the member on the messenger
they wrote from (with the staff member's photo or document, when there is one), the question
marked answered, and the reply watched until it is sent (a failure is told in the staff chat
by the desk)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.ports import MediaFile, Span
from core.sending.replies import PARTS, ReplyEdit, reply_content
from core.staff import texts
from core.staff.desk import load_watch, save_watch
from core.staff.questions import Question, mark_answered
from core.storage.models import Contact, Reply

STAFF_MESSAGE = "staff_message"  # in replies.content: the staff chat's message answered from


async def member_blocked(conn: AsyncConnection, question: Question) -> bool:
    status = (await conn.execute(select(Contact.status)
                                 .where(Contact.id == question.contact_id))).scalar()
    return status in ("blocked", "unsubscribed")


async def answer(conn: AsyncConnection, question: Question, text: str, by: str,
                 at: datetime, media: Sequence[MediaFile] = (), caption_limit: int = 0,
                 staff_message: str | None = None) -> int:
    """Queue the answer (inside the caller's transaction); the watched reply's id. With
    files (several: a VK message's), the text is the first one's caption where the member's
    messenger takes one that long (`caption_limit`), else it follows the files.
    `staff_message` names the staff chat's message it came from ("<channel>:<chat>:<id>"),
    so an edit of it can follow."""
    said = (Span(texts.ANSWER_TO_MEMBER.format(text=text).strip()),)
    captioned = bool(media) and len(said[0].text) <= caption_limit
    reply_id = None
    for number, file in enumerate(media):
        spans = said if captioned and number == 0 else ()
        made = await _queue(conn, question, spans, file, staff_message)
        reply_id = reply_id or made
    if not captioned:
        made = await _queue(conn, question, said, staff_message=staff_message)
        reply_id = reply_id or made
    assert reply_id is not None
    await mark_answered(conn, question.inbound_id, by, at)
    await save_watch(conn, [*await load_watch(conn), (reply_id, question.inbound_id)])
    return reply_id


async def _queue(conn: AsyncConnection, question: Question, said: tuple[Span, ...],
                 media: MediaFile | None = None, staff_message: str | None = None,
                 edit: ReplyEdit | None = None) -> int:
    content = reply_content(said, edit=edit, media=media)
    if staff_message is not None:
        content[STAFF_MESSAGE] = staff_message
    found = await conn.execute(insert(Reply).values(
        channel=question.channel, contact_id=question.contact_id, inbound_id=question.inbound_id,
        content=content, status="pending", next_attempt_at=0.0).returning(Reply.id))
    return int(found.scalar_one())


async def correct(conn: AsyncConnection, question: Question, staff_message: str, text: str
                  ) -> bool:
    """The staff member edited their answer (`staff_message`): the member's copy is edited
    where their messenger can (the answer's text reply holds its message id), else, or
    while the answer is not sent yet, a new message opens with «Исправлено:». False when
    that message was no answer to this question."""
    rows = (await conn.execute(select(Reply.content, Reply.platform_message_id).where(
        Reply.inbound_id == question.inbound_id, Reply.contact_id == question.contact_id)
        .order_by(Reply.id))).all()
    first = next((row for row in rows if _content(row.content).get(STAFF_MESSAGE)
                  == staff_message and _content(row.content).get("spans")), None)
    if first is None:
        return False
    said = (Span(texts.ANSWER_TO_MEMBER.format(text=text).strip()),)
    # A caption is not edited in place: VK's messages.edit would drop the file it omits,
    # Telegram's editMessageText refuses a photo; nor an answer sent in parts (only its
    # first would change); the correction follows as a new message.
    kept = _content(first.content)
    in_place = None if kept.get("media") or kept.get(PARTS) else first.platform_message_id
    change = ReplyEdit(in_place, said, (Span(texts.CORRECTED),), only=True)
    await _queue(conn, question, said, staff_message=staff_message, edit=change)
    return True


def _content(value: Any) -> dict[str, Any]:
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, dict) else {}
