"""The chat service's step that shows members' files to the staff (core.staff.files): each
photo or document of a question — every part of an album — fetched for each staff chat's
messenger as staff answers' files are (bots.chat.answer_files: a Telegram file re-sent to a
Telegram chat by its file_id, any other fetched and kept once in `media`), then queued after
the question's notice and the cursor moved in one transaction (a second process that moved
it first wins; nothing goes twice). Voice messages and stickers stay described in text."""

from __future__ import annotations

from bots.chat.answer_files import FileNotCarried, answer_file
from bots.chat.turn import ChatContext, NotReady
from core.inbound.store import event_from_json
from core.ports import MediaFile, Text
from core.staff.binding import chat_contact
from core.staff.files import (
    QuestionFile,
    cursor,
    files_due,
    move_cursor,
    newest,
    queue_file,
)
from core.storage.engine import writing

Ready = list[tuple[QuestionFile, str, MediaFile]]


async def carry(ctx: ChatContext) -> int:
    """Queue the files due now; how many messages were queued."""
    if ctx.desk is None:
        return 0
    chats = await ctx.desk.chats()
    async with ctx.reader.connect() as conn:
        stored = await cursor(conn)
        after = stored if stored is not None else await newest(conn)
        due, upto = await files_due(conn, after)
    ready: Ready = []
    if chats:
        upto = await _fetch(ctx, chats, due, ready, upto)
    if stored is not None and upto == after:
        return 0  # nothing new: no write (this runs every round)
    async with writing(ctx.engine) as conn:
        if await cursor(conn) != stored:
            return 0  # another process moved it first
        for item, channel, media in ready:
            chat = await chat_contact(conn, channel, chats[channel])
            await queue_file(conn, channel, chat, item.question_id, media)
        await move_cursor(conn, upto)
    return len(ready)


async def _fetch(ctx: ChatContext, chats: dict[str, str], due: list[QuestionFile],
                 ready: Ready, upto: int) -> int:
    """Fill `ready`; the cursor's new place (before a file whose channel is not running)."""
    for item in due:
        event = event_from_json(item.event)
        if not isinstance(event, Text):
            continue
        try:
            files = [(item, channel, await answer_file(ctx, event, channel)) for channel in chats]
        except FileNotCarried:
            continue  # a voice message, a sticker: the notice describes it
        except NotReady:
            return item.inbound_id - 1  # retried once the member's channel runs
        ready.extend((i, c, m) for i, c, m in files if m is not None)
    return upto
