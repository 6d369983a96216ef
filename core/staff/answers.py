"""A staff member's answer to a member's question: queued to the member on the messenger
they wrote from (with the staff member's photo or document, when there is one), the question
marked answered, and the reply watched until it is sent (a failure is told in the staff chat
by the desk)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.ports import MediaFile, Span
from core.sending.replies import reply_content
from core.staff import texts
from core.staff.desk import load_watch, save_watch
from core.staff.questions import Question, mark_answered
from core.storage.models import Contact, Reply


async def member_blocked(conn: AsyncConnection, question: Question) -> bool:
    status = (await conn.execute(select(Contact.status)
                                 .where(Contact.id == question.contact_id))).scalar()
    return status in ("blocked", "unsubscribed")


async def answer(conn: AsyncConnection, question: Question, text: str, by: str,
                 at: datetime, media: MediaFile | None = None, caption_limit: int = 0) -> int:
    """Queue the answer (inside the caller's transaction); the watched reply's id. With a
    file, the text is its caption where the member's messenger takes one that long
    (`caption_limit`), else it follows the file."""
    said = (Span(texts.ANSWER_TO_MEMBER.format(text=text).strip()),)
    if media is None:
        reply_id = await _queue(conn, question, said)
    elif len(said[0].text) <= caption_limit:
        reply_id = await _queue(conn, question, said, media)
    else:
        reply_id = await _queue(conn, question, (), media)
        await _queue(conn, question, said)
    await mark_answered(conn, question.inbound_id, by, at)
    await save_watch(conn, [*await load_watch(conn), (reply_id, question.inbound_id)])
    return reply_id


async def _queue(conn: AsyncConnection, question: Question, said: tuple[Span, ...],
                 media: MediaFile | None = None) -> int:
    content = reply_content(said, media=media)
    found = await conn.execute(insert(Reply).values(
        channel=question.channel, contact_id=question.contact_id, inbound_id=question.inbound_id,
        content=content, status="pending", next_attempt_at=0.0).returning(Reply.id))
    return int(found.scalar_one())
