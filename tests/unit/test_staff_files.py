"""core.staff.files on a real SQLite file: which members' files are due for the staff chat —
a question's file and its album's later parts (mapped to the question), in order, stopping
at a message not handled yet and at a question whose notice is not queued yet; the cursor
starts at the newest message, so files sent before are never carried."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.staff.files import cursor, files_due, move_cursor, newest
from core.storage.models import Inbound

PHOTO = {"type": "Text", "sender": {"channel": "telegram", "external_id": "5",
                                     "display_name": "", "is_group": False},
         "event_id": "x", "text": "[фото]", "attachment": "telegram:photo:AgAD"}


async def _message(engine: AsyncEngine, event: dict[str, Any], *, feedback: bool = False,
                   ref: str | None = None, handled: bool = True) -> int:
    async with engine.begin() as conn:
        found = await conn.execute(insert(Inbound).values(
            channel="telegram", platform_event_id=f"e{datetime.now(UTC).timestamp()}{ref}",
            kind="Text", text=event["text"], event=event, is_feedback=feedback,
            staff_message_ref=ref, handled_at=datetime.now(UTC) if handled else None,
        ).returning(Inbound.id))
        return int(found.scalar_one())


async def test_files_due_follow_their_notices_in_order(engine: AsyncEngine) -> None:
    old = await _message(engine, PHOTO, feedback=True, ref="telegram:7")
    async with engine.connect() as conn:
        assert await cursor(conn) is None
        start = await newest(conn)
    assert start == old  # a photo from before is not carried
    question = await _message(engine, PHOTO, feedback=True, ref="queued")
    text_only = await _message(engine, {**PHOTO, "attachment": None}, feedback=True, ref="q")
    part = await _message(engine, PHOTO, ref=f"album:{question}")
    waiting = await _message(engine, PHOTO, feedback=True)  # its notice not queued yet
    later = await _message(engine, PHOTO, feedback=True, ref="queued")
    async with engine.connect() as conn:
        due, upto = await files_due(conn, start)
    assert [(f.inbound_id, f.question_id) for f in due] == [(question, question),
                                                             (part, question)]
    assert text_only < upto == part < waiting < later
    async with engine.begin() as conn:
        await move_cursor(conn, upto)
        await conn.execute(update(Inbound).where(Inbound.id == waiting)
                           .values(staff_message_ref="queued", handled_at=None))
        assert await cursor(conn) == part
        assert await files_due(conn, part) == ([], part)  # not handled yet: wait
        await conn.execute(update(Inbound).where(Inbound.id == waiting)
                           .values(handled_at=datetime.now(UTC)))
        due, upto = await files_due(conn, part)
    assert [f.inbound_id for f in due] == [waiting, later] and upto == later
