"""Hypothesis against the platform-neutral chat layer (bots/chat: router, service, the /post
and /poll dialogues, the staff commands): a press secretary and an admin on Telegram, VK and
Viber, and a member without a role, type any command with any arguments (/post, /poll,
/отчёт, /report N, /cancel N, /resend, /grant, /results, /inbox …), any text, and press
the dialogue's buttons or forged ones, in any order. Each event goes through the real Inbox,
ChatRouter and ChatService on a SQLite file; the senders are real ChannelSenders over
recording channels. Whatever comes: no traceback, never the "something failed" answer, and
every event handled by the chat layer gets an answer in Russian (a reply, or a preview sent
at once). Depth: tests/fuzzing.py (RUPOR_FUZZ).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots import texts as bot_texts
from bots.chat import texts
from bots.chat.router import COMMANDS, ChatRouter, StaffAccounts
from bots.chat.service import ChatService
from bots.chat.turn import ChatContext
from bots.registry import capabilities
from core.access.grants import grant
from core.access.rules import Role
from core.campaigns.store import NewCampaign, create_campaign
from core.config import settings_from_mapping
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import ButtonPress, Command, InboundEvent, Sender, Text
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.recording import RecordingChannel
from core.storage.engine import create_engine
from core.storage.models import Reply
from tests.factories import make_union
from tests.fuzzing import fuzz, hostile_text, huge_text

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
SETTINGS = settings_from_mapping({
    "telegram": {"token": "1:chat-fuzz"},
    "vk": {"token": "vk-chat-fuzz", "group_id": 1},
    "viber": {"token": "viber-chat-fuzz"},
}, environ={})
PRESS = {"telegram": "4201", "vk": "4202", "viber": "press4203="}
ADMIN = Sender("telegram", "4300", "Администратор")
MEMBER = Sender("vk", "4400", "Член профсоюза")
EVENTS = itertools.count(1)


class Tracebacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[0] is not None:
            self.records.append(record)

    def text(self) -> str:
        return logging.Formatter().format(self.records[0])


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    handler, root = Tracebacks(), logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@dataclass(frozen=True)
class Answer:
    text: str
    payloads: tuple[str, ...]  # of its buttons


@dataclass
class ChatRig:
    engine: AsyncEngine
    inbox: Inbox
    service: ChatService
    channels: dict[str, RecordingChannel]

    async def say(self, event: InboundEvent) -> list[Answer]:
        """Store the event as a webhook does and let the chat layer handle it; the replies
        queued meanwhile (to anyone: a goodbye is queued apart from its inbound) and the
        messages sent at once (a preview, a chart)."""
        before = {name: len(channel.sent) for name, channel in self.channels.items()}
        earlier = await self.replies()
        await self.inbox.receive(event)
        await self.service.round()
        await self.service.lanes.wait()
        answers = [Answer("".join(span[0] for span in content["spans"]),
                          tuple(b["payload"] for row in content["buttons"] for b in row
                                if b.get("payload")))
                   for key, content in (await self.replies()).items() if key not in earlier]
        for name, channel in self.channels.items():
            for _, message in channel.sent[before[name]:]:
                answers.append(Answer("".join(span.text for span in message.text) or "файл",
                                      tuple(b.payload for row in message.buttons for b in row
                                            if b.payload)))
        return answers

    async def replies(self) -> dict[tuple[int, str], dict[str, Any]]:
        """Every queued reply by (id, content): an erasure deletes rows, and SQLite then
        gives a later reply an id used before."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(Reply.id, Reply.content))).all()
        return {(row.id, json.dumps(row.content, sort_keys=True)): dict(row.content)
                for row in rows}


@pytest.fixture
async def template(db_url: str, engine: AsyncEngine) -> bytes:
    """A union, its press secretaries and admin, and a campaign: each example starts here."""
    await make_union(engine)
    async with engine.begin() as conn:
        for channel, account in PRESS.items():
            await grant(conn, channel, account, Role.PRESS, "cli")
        await grant(conn, ADMIN.channel, ADMIN.external_id, Role.ADMIN, "cli")
    await create_campaign(engine, NewCampaign(text="Листок за май", audience="all",
                                              created_by="cli"), capabilities(SETTINGS))
    await engine.dispose()  # everything is in the file now
    return Path(db_url.removeprefix("sqlite:///")).read_bytes()


@contextlib.asynccontextmanager
async def fresh_chat(template: bytes, folder: Path) -> AsyncIterator[ChatRig]:
    """The chat layer on a fresh copy of the template (an example never sees another's)."""
    path = folder / f"chat-{next(EVENTS)}.sqlite3"
    path.write_bytes(template)
    engine = create_engine(f"sqlite:///{path}")
    reader = create_engine(f"sqlite:///{path}", readonly=True)
    caps = capabilities(SETTINGS)
    channels = {name: RecordingChannel(name, caps[name]) for name in caps}
    senders = {name: ChannelSender(engine, channel, Policy(), reader=reader)
               for name, channel in channels.items()}
    dialogs, staff = Dialogs(bot_texts.DIALOG), StaffAccounts()
    ctx = ChatContext(engine, reader, caps, ZoneInfo("Asia/Yekaterinburg"), dialogs,
                      channels, senders)
    service = ChatService(ctx, staff)
    await service.refresh_staff()
    inbox = Inbox(engine, ChatRouter(dialogs, staff))
    try:
        yield ChatRig(engine, inbox, service, channels)
    finally:
        await inbox.close()
        await reader.dispose()
        await engine.dispose()


# What people type ---------------------------------------------------------------------------

numbers = st.one_of(st.integers(-5, 50), st.integers(-(10**30), 10**30),
                    st.sampled_from(["1", "01", "1.5", "№1", "-0", "1e9", "NaN", "٣"])).map(str)
arguments = st.one_of(
    st.just(""), numbers, hostile_text(8), huge_text(),
    st.lists(st.one_of(numbers, st.sampled_from(["все", "telegram", "vk", "viber", "@x",
                                                 "завтра в 10", "да", "нет", "admin",
                                                 "press", "Иванова"])),
             max_size=4).map(" ".join),
)
MAIN = ["post", "poll", "отчёт", "report", "cancel", "resend", "grant", "results", "inbox",
        "plan", "pause", "resume", "audience", "answer"]
command_names = st.one_of(st.sampled_from(MAIN), st.sampled_from(sorted(COMMANDS)),
                          st.sampled_from(["start", "stop", "help", "delete_me", "x", "ПОСТ"]))
typed = st.one_of(hostile_text(20), huge_text(), numbers,
                  st.sampled_from(["Весь регион", "завтра в 10:00", "сейчас", "Да", "Нет",
                                   "Вопрос?\nДа\nНет", "до пятницы 18:00", "1", "всем"]))
forged_payloads = st.one_of(
    st.builds("chat:{}:{}".format, st.sampled_from(["audience", "when", "confirm", "edit",
                                                     "cancel", "district", "back", "poll",
                                                     "grant", "x"]), arguments),
    st.text(max_size=30).map("chat:{}".format),
)


moves = st.one_of(
    st.tuples(st.just("command"), st.tuples(command_names, arguments)),
    st.tuples(st.just("text"), typed),
    st.tuples(st.just("forged"), forged_payloads),
    st.tuples(st.just("offered"), st.integers(0, 63)),
    st.tuples(st.just("offered"), st.integers(0, 63)),
)


def chosen(move: tuple[str, Any], offered: tuple[str, ...]) -> tuple[str, Any]:
    """A press of the n-th button offered so far (drawn as a number, so the drawing never
    depends on the answers); with none offered, a forged press."""
    kind, value = move
    if kind != "offered":
        return move
    return "forged", offered[value % len(offered)] if offered else "chat:nothing"


def event_of(sender: Sender, move: tuple[str, Any]) -> InboundEvent:
    kind, value = move
    event_id = f"fuzz-{next(EVENTS)}"
    if kind == "command":
        return Command(event_id, sender, value[0], value[1])
    if kind == "text":
        return Text(event_id, sender, value)
    return ButtonPress(event_id, sender, value)


senders = st.one_of(
    st.sampled_from(sorted(PRESS.items())).map(lambda item: Sender(item[0], item[1], "Пресс")),
    st.just(ADMIN), st.just(MEMBER),
)


@fuzz(15)
@given(sender=senders, steps=st.lists(moves, min_size=1, max_size=8))
async def test_any_command_text_or_button_gets_a_russian_answer_and_no_crash(
    template: bytes, tmp_path: Path, tracebacks: Tracebacks, sender: Sender,
    steps: list[tuple[str, Any]],
) -> None:
    offered: tuple[str, ...] = ()
    async with fresh_chat(template, tmp_path) as chat:
        for move in steps:
            offered = await step(chat, tracebacks, sender, chosen(move, offered), offered)


async def step(chat: ChatRig, tracebacks: Tracebacks, sender: Sender, move: tuple[str, Any],
               offered: tuple[str, ...]) -> tuple[str, ...]:
    """One event and the checks on its answers; the buttons offered from now on."""
    event = event_of(sender, move)
    answers = await chat.say(event)
    assert not tracebacks.records, tracebacks.text()
    assert all(answer.text != texts.FAILED for answer in answers), event
    for answer in answers:
        assert CYRILLIC.search(answer.text), (event, answer)
    silent_press = isinstance(event, ButtonPress) and not event.payload.startswith("chat:")
    if sender != MEMBER and not silent_press:  # a member dialogue's button may be a repeat
        assert answers, event
    return tuple(p for answer in answers for p in answer.payloads) or offered


HUGE = str(10**30)
FOUND = [  # found by the fuzzing above: numbers SQLite cannot hold, digits int() refuses
    [("command", ("results", HUGE))],
    [("command", ("results", "²"))],
    [("command", ("report", HUGE))],
    [("command", ("cancel", "№" + HUGE))],
    [("command", ("resend", HUGE))],
    [("command", ("pause", "٣"))],
    [("command", ("answer", f"{HUGE} Спасибо"))],
    [("command", ("отчёт", HUGE))],
    [("command", ("post", "")), ("text", "Листок"), ("forged", f"chat:district:{HUGE}")],
    [("command", ("poll", "")), ("text", "Вопрос?"), ("text", "Да\nНет"),
     ("forged", f"chat:poll:district:{HUGE}")],
]


@pytest.mark.parametrize("steps", FOUND, ids=lambda steps: " ".join(str(s[1]) for s in steps))
async def test_found_numbers_are_answered_not_crashed(
    template: bytes, tmp_path: Path, tracebacks: Tracebacks, steps: list[tuple[str, Any]]
) -> None:
    press = Sender("telegram", PRESS["telegram"], "Пресс")
    async with fresh_chat(template, tmp_path) as chat:
        offered: tuple[str, ...] = ()
        for move in steps:
            offered = await step(chat, tracebacks, press, move, offered)
