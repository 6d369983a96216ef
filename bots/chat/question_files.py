"""The chat service's step that shows members' files to the staff (core.staff.files): each
photo or document of a question — every part of an album, every file of a VK message with
several — fetched for each staff chat's messenger as staff answers' files are
(bots.chat.answer_files: a Telegram file re-sent to a Telegram chat by its file_id, any other
fetched and kept once in `media`), then queued after the question's notice and the cursor
moved in one transaction (a second process that moved it first wins; nothing goes twice).
Staff who use only Viber get them in their own chats, as they get the notices. Voice
messages and stickers stay described in text."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncConnection

from bots.chat.answer_files import FileNotCarried, file_parts, part_file
from bots.chat.turn import ChatContext, NotReady
from core.audience.members import contact_for
from core.inbound.store import event_from_json
from core.ports import MediaFile, Sender, Text
from core.staff.binding import chat_contact
from core.staff.desk import StaffDesk
from core.staff.files import (
    QuestionFile,
    cursor,
    files_due,
    move_cursor,
    newest,
    queue_files,
)
from core.storage.engine import writing

Ready = list[tuple[QuestionFile, str, MediaFile]]


class Target(NamedTuple):
    """Where the staff see files: a bound staff chat, or (`solo`) a staff member's own chat
    on a messenger without group chats."""

    channel: str
    account: str
    solo: bool


async def carry(ctx: ChatContext) -> int:
    """Queue the files due now; how many messages were queued."""
    if ctx.desk is None:
        return 0
    targets = await _targets(ctx.desk)
    async with ctx.reader.connect() as conn:
        stored = await cursor(conn)
        after = stored if stored is not None else await newest(conn)
        due, upto = await files_due(conn, after)
    ready: Ready = []
    if targets:
        upto = await _fetch(ctx, sorted({t.channel for t in targets}), due, ready, upto)
    if stored is not None and upto == after:
        return 0  # nothing new: no write (this runs every round)
    async with writing(ctx.engine) as conn:
        if await cursor(conn) != stored:
            return 0  # another process moved it first
        queued = await _queue(ctx, conn, targets, ready)
        await move_cursor(conn, upto)
    return queued


async def _targets(desk: StaffDesk) -> list[Target]:
    chats = [Target(channel, chat, False) for channel, chat in (await desk.chats()).items()]
    return chats + [Target(channel, account, True)
                    for channel, account in await desk.solo_staff()]


async def _queue(ctx: ChatContext, conn: AsyncConnection, targets: list[Target],
                 ready: Ready) -> int:
    """Each question's files, in order, to every target of their channel; how many
    messages."""
    grouped: dict[tuple[int, str], list[MediaFile]] = {}
    for item, channel, file in ready:
        grouped.setdefault((item.question_id, channel), []).append(file)
    queued = 0
    for (question_id, channel), media in grouped.items():
        caps = ctx.capabilities.get(channel)
        for target in (t for t in targets if t.channel == channel):
            if target.solo:
                contact = (await contact_for(conn, Sender(channel, target.account))).id
            else:
                contact = await chat_contact(conn, channel, target.account)
            queued += await queue_files(conn, channel, contact, question_id, media,
                                        caps.max_caption_len if caps else 0, target.solo)
    return queued


async def _fetch(ctx: ChatContext, channels: Collection[str], due: list[QuestionFile],
                 ready: Ready, upto: int) -> int:
    """Fill `ready`; the cursor's new place (before a file whose channel is not running)."""
    for item in due:
        event = event_from_json(item.event)
        if not isinstance(event, Text):
            continue
        try:
            ready.extend(await _files_of(ctx, item, event, channels))
        except NotReady:
            return item.inbound_id - 1  # retried once the member's channel runs
    return upto


async def _files_of(ctx: ChatContext, item: QuestionFile, event: Text,
                    channels: Collection[str]) -> Ready:
    """Every file of one message for every channel (all of them, or NotReady)."""
    found: Ready = []
    for part in file_parts(event):
        try:
            found.extend([(item, channel, await part_file(ctx, part, channel))
                          for channel in channels])
        except FileNotCarried:
            continue  # a voice message, a sticker: the notice describes it
    return found
