"""A staff member edits, in the staff chat, a reply that answered a member's question
(Telegram edited_message, VK message_edit): the member's copy follows — edited in place
where their messenger can, else a new message «Исправлено: …» (core.staff.answers.correct).
An edited message is never relayed again by the bridge, nor taken as a new answer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bots.chat.turn import ChatContext, Turn, allowed
from core.access.audit import Result
from core.access.rules import Action
from core.ports import Text
from core.staff import answers
from core.staff.binding import chat_contact
from core.staff.questions import replied_to


def staff_message(event: Text) -> str | None:
    """The staff chat's message as answers keep it: "<channel>:<chat>:<message id>"."""
    if event.message_id is None:
        return None
    return f"{event.sender.channel}:{event.sender.external_id}:{event.message_id}"


async def edited(ctx: ChatContext, turn: Turn, event: Text) -> None:
    """Carry the edit of an answer over to the member (exactly once: the inbox dedups the
    platform's update, and the correction is queued in the turn's commit)."""
    ref, chat = staff_message(event), event.sender
    if ref is None or not event.reply_to:
        return  # only a reply to a question's notice was an answer
    async with ctx.reader.connect() as conn:
        staff_contact = await chat_contact(conn, chat.channel, chat.external_id)
        found = await replied_to(conn, staff_contact, str(event.reply_to))
    if found is None or not await allowed(ctx, turn, Action.ANSWER):
        return
    words = ((event.caption or "") if event.attachment else event.text).strip()
    if not words:
        return

    async def write(conn: AsyncConnection) -> None:
        await answers.correct(conn, found, ref, words)  # False: that reply was no answer

    turn.writes.append(write)
    turn.audit(Action.ANSWER, Result.OK, {"question": found.inbound_id, "edited": True})
