"""The staff chat as the chat layer sees it: /bind_staff, /inbox and /answer, a staff
member's reply to a question's notice (the answer, with its photo or document, goes to the
member), and the approval buttons of the two-person rule. Ordinary staff chatter is left
alone: nothing of it reaches members."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bots.chat import approvals, staff_edits, staff_texts
from bots.chat.answer_files import FileNotCarried, answer_files
from bots.chat.bridge import relay_staff_message
from bots.chat.staff_topics import forums_of
from bots.chat.turn import ChatContext, Turn, allowed
from bots.registry import capabilities
from core.access.audit import Result
from core.access.rules import Action
from core.config import Settings
from core.ports import ButtonPress, Command, MediaFile, Text
from core.sending.dispatch import ChannelSender
from core.staff import answers
from core.staff.binding import bind, chat_contact
from core.staff.desk import StaffDesk, inbox_lines
from core.staff.questions import Question, question, replied_to, unanswered
from core.staff.texts import INBOX, INBOX_EMPTY
from core.staff.topic_rows import topic_question

COMMANDS = {"bind_staff": "bind", "inbox": "inbox", "входящие": "inbox", "answer": "answer",
            "ответ": "answer"}


async def handle(ctx: ChatContext, turn: Turn) -> bool:
    """Whether the event was the staff chat's (handled here)."""
    event = turn.event
    if isinstance(event, ButtonPress) and approvals.is_approval(event.payload):
        await approvals.press(ctx, turn)
        return True
    if isinstance(event, Command) and event.name in COMMANDS and event.sender_chat is None:
        await _command(ctx, turn, COMMANDS[event.name], event)
        return True
    if isinstance(event, Text) and event.sender.is_group and event.edited:
        await staff_edits.edited(ctx, turn, event)  # an answer corrected: the member's too
        return True
    if isinstance(event, Text) and event.sender.is_group:
        if event.reply_to or event.thread:  # a reply, or written in a member's topic
            await _reply(ctx, turn, event)
        await relay_staff_message(ctx, turn, event)  # to the other staff chat (bridge)
        return True  # staff chatter: never relayed to members
    return False


async def _command(ctx: ChatContext, turn: Turn, name: str, event: Command) -> None:
    if name == "bind":
        if not await allowed(ctx, turn, Action.BIND_STAFF):
            return
        if not event.sender.is_group:
            turn.say(staff_texts.NOT_A_GROUP)
            return
        chat = event.sender

        async def write(conn: AsyncConnection) -> None:
            await bind(conn, chat.channel, chat.external_id, chat.display_name)

        turn.writes.append(write)
        turn.audit(Action.BIND_STAFF, Result.OK, {"chat": chat.external_id})
        turn.say(staff_texts.BOUND)
    elif name == "inbox":
        if await allowed(ctx, turn, Action.INBOX):
            async with ctx.reader.connect() as conn:
                found = await unanswered(conn)
            turn.say(INBOX.format(count=len(found), lines=inbox_lines(found, ctx.tz))
                     if found else INBOX_EMPTY)
    else:
        await _answer_command(ctx, turn, event.args)


async def _answer_command(ctx: ChatContext, turn: Turn, args: str) -> None:
    """/answer N text — where replying is not possible (Viber, a busy chat)."""
    if not await allowed(ctx, turn, Action.ANSWER):
        return
    number, _, words = args.strip().partition(" ")
    if not number.isdigit() or not words.strip():
        turn.say(staff_texts.ANSWER_USAGE)
        return
    async with ctx.reader.connect() as conn:
        found = await question(conn, int(number))
    if found is None:
        turn.say(staff_texts.NO_QUESTION.format(id=number))
        return
    await _answer(ctx, turn, found, words.strip())


async def _reply(ctx: ChatContext, turn: Turn, event: Text) -> None:
    chat = event.sender
    async with ctx.reader.connect() as conn:
        staff_contact = await chat_contact(conn, chat.channel, chat.external_id)
        found = await replied_to(conn, staff_contact, str(event.reply_to))
        in_topic = found is None and event.thread is not None
        if in_topic:  # by the topic's stored thread id (core.staff.topics)
            found = await topic_question(conn, chat.channel, chat.external_id,
                                         str(event.thread))
    if found is None or not await allowed(ctx, turn, Action.ANSWER):
        return  # a reply to anything else is staff chatter
    words = (event.caption or "") if event.attachment else event.text
    await _answer(ctx, turn, found, words.strip(), event, in_topic)


async def _answer(ctx: ChatContext, turn: Turn, found: Question, text: str,
                  event: Text | None = None, in_topic: bool = False) -> None:
    """`in_topic`: written in the member's topic, where a second answer is no surprise."""
    async with ctx.reader.connect() as conn:
        blocked = await answers.member_blocked(conn, found)
    if blocked:
        turn.say(staff_texts.ANSWERED_BLOCKED.format(id=found.inbound_id))
        turn.audit(Action.ANSWER, Result.FAILED, {"question": found.inbound_id})
        return
    media: list[MediaFile] = []
    try:
        media = await answer_files(ctx, event, found.channel) if event is not None else []
    except FileNotCarried as refused:
        turn.say(str(refused))
    caps = ctx.capabilities.get(found.channel)
    by, at = f"{turn.channel}:{turn.sender_id}", datetime.now(UTC)
    if found.answered_by and found.answered_by != by and not in_topic:  # same one: an album
        turn.say(staff_texts.ALREADY_ANSWERED.format(id=found.inbound_id, by=found.answered_by))

    async def write(conn: AsyncConnection) -> None:
        await answers.answer(conn, found, text, by, at, media,
                             caps.max_caption_len if caps else 0,
                             staff_edits.staff_message(event) if event else None)

    turn.writes.append(write)
    turn.audit(Action.ANSWER, Result.OK, {"question": found.inbound_id})


def desk_for(settings: Settings, engine: AsyncEngine, reader: AsyncEngine,
             senders: Mapping[str, ChannelSender] | None = None) -> StaffDesk:
    """The staff desk of the configured channels, with the staff chats the settings preset;
    with the running channels' `senders`, forum staff chats get a topic per member."""
    presets: dict[str, str] = {}
    if settings.telegram is not None and settings.telegram.staff_chat_id is not None:
        presets["telegram"] = str(settings.telegram.staff_chat_id)
    if settings.vk is not None and settings.vk.staff_peer_id is not None:
        presets["vk"] = str(settings.vk.staff_peer_id)
    groups = {name: caps.group_chats for name, caps in capabilities(settings).items()}
    return StaffDesk(engine, reader, groups, ZoneInfo(settings.scheduler.timezone), presets,
                     forums=forums_of(senders) if senders is not None else None)
