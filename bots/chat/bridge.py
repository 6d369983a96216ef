"""The optional bridge between a Telegram and a VK staff chat ([staff] bridge): what a staff
member writes in one bound staff chat is queued to the other, opened by their name and
messenger, with the start of the message they replied to quoted and their photos and
documents carried (fetched and kept as answers' files are, bots.chat.answer_files).

Never relayed: commands (handled as such), the bot's own messages (no platform delivers
them to the bot), and a copy forwarded back (it opens with RELAY_MARK) — so no loops."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from bots.chat import staff_texts
from bots.chat.answer_files import FileNotCarried, answer_files
from bots.chat.turn import ChatContext, Turn
from core.ports import MediaFile, Text
from core.staff import texts
from core.staff.bridge import RELAY_MARK, author_name, quoted, relay
from core.staff.questions import MESSENGERS


async def relay_staff_message(ctx: ChatContext, turn: Turn, event: Text) -> None:
    """Queue the copy of a staff chat message to the other staff chats (bridge on)."""
    if not ctx.bridge or ctx.desk is None or event.text.startswith(RELAY_MARK):
        return
    channel, chat_id = event.sender.channel, event.sender.external_id
    chats = await ctx.desk.chats()
    if chats.get(channel) != chat_id:
        return  # not the bound staff chat of its channel
    targets = {ch: chat for ch, chat in chats.items() if ch != channel}
    if not targets:
        return
    said = await _header(ctx, event) + "\n" + _words(event)
    media = await _files(ctx, turn, event)
    limits = {ch: caps.max_caption_len for ch, caps in ctx.capabilities.items()}

    async def write(conn: AsyncConnection) -> None:
        await relay(conn, targets, said.strip(), media, limits)

    turn.writes.append(write)


async def _header(ctx: ChatContext, event: Text) -> str:
    channel = event.sender.channel
    async with ctx.reader.connect() as conn:
        name = await author_name(conn, channel, event.author_id)
        quote = (await quoted(conn, channel, event.sender.external_id, event.reply_to)
                 if event.reply_to else None)
    messenger = MESSENGERS.get(channel, channel)
    if quote:
        return texts.BRIDGE_REPLY_HEADER.format(name=name, messenger=messenger, quote=quote)
    return texts.BRIDGE_HEADER.format(name=name, messenger=messenger)


def _words(event: Text) -> str:
    return (event.caption or "") if event.attachment else event.text


async def _files(ctx: ChatContext, turn: Turn, event: Text) -> list[MediaFile]:
    try:
        return await answer_files(ctx, event, member_channel="")
    except FileNotCarried:
        turn.say(staff_texts.BRIDGE_NO_FILE)
        return []
