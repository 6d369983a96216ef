"""The lean sendMessage path (bots/telegram/lean.py) against aiogram's own: the same request
bytes, the same message at the emulator, the same exceptions and statuses for every failure."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from aiogram.exceptions import AiogramError, TelegramRetryAfter
from aiogram.methods import Response, SendMessage
from aiogram.types import Message

from bots.telegram import TelegramChannel
from bots.telegram.errors import result_for
from bots.telegram.lean import LeanSendMessage, LeanSession, SentMessage
from bots.telegram.outbound import PREPARED_PARTS, BadContent, keyboard
from core.ports import Button, Span, Status
from tests.integration.test_telegram_support import TgRig, part, rig, roomy_rig, start_rig

__all__ = ["rig", "roomy_rig"]  # fixtures used by name

HOSTILE = part("r1p0", "Взносы & льготы <2027>: ", Span("подробно", bold=True), " ",
               Span("на сайте", url="https://example.org/?a=1&b=<2>"),
               buttons=((Button("Вопрос", payload="ask:1"), Button("Сайт", url="https://e.org")),))


def aiogram_request(channel: TelegramChannel, chat: int | str, msg: Any = HOSTILE
                    ) -> SendMessage:
    """The SendMessage aiogram's Bot.send_message builds for this part (the old path)."""
    prepared = channel.outbox.prepared(msg)
    return prepared.request.model_copy(update={"chat_id": chat})


def aiogram_body(channel: TelegramChannel, request: SendMessage) -> bytes:
    """What aiogram's AiohttpSession would put on the wire for `request`."""
    form = channel.bot.session.build_form_data(channel.bot, request)
    payload = form()
    assert payload.content_type == "application/x-www-form-urlencoded"
    return bytes(payload._value)


@pytest.mark.parametrize("chat", [123456789, -1001234567890, "@rupor_news"])
async def test_the_lean_body_is_aiogram_s_own_bytes(rig: TgRig, chat: int | str) -> None:
    for paid in (False, True):
        channel = rig.channel(ceiling=1000 if paid else 30)
        lean = channel.outbox.prepared(HOSTILE).to(chat)
        expected = aiogram_body(channel, aiogram_request(channel, chat))
        assert lean.body() == expected
        assert (b"allow_paid_broadcast=true" in expected) is paid
        assert b"parse_mode=HTML" in expected and b"reply_markup=" in expected


async def test_a_lean_send_shows_as_aiogram_s_send(roomy_rig: TgRig) -> None:
    old_chat, new_chat = roomy_rig.member(), roomy_rig.member()
    channel = roomy_rig.channel(ceiling=1000)
    await channel.bot(aiogram_request(channel, old_chat))
    [result] = await channel.send([str(new_chat)], HOSTILE)
    assert result.status is Status.SENT
    [old], [new] = roomy_rig.log(old_chat), roomy_rig.log(new_chat)
    assert int(result.platform_message_id or 0) == new["message_id"]
    for field in ("text", "entities", "reply_markup"):
        assert new[field] == old[field]
    stats = roomy_rig.stats()
    assert stats["validation_errors"] == 0 and stats["requests_by_method"] == {"sendMessage": 2}


async def outcome(call: Any) -> AiogramError:
    with pytest.raises(AiogramError) as caught:
        await call
    return caught.value


def same_failure(old: AiogramError, new: AiogramError, chat: int) -> None:
    assert type(new) is type(old)
    if isinstance(old, TelegramRetryAfter):
        assert isinstance(new, TelegramRetryAfter) and new.retry_after == old.retry_after
    else:
        assert new.message == old.message
    assert result_for(str(chat), new).status is result_for(str(chat), old).status


async def test_lean_failures_are_aiogram_s_failures(rig: TgRig) -> None:
    blocked, gone, stranger, busy = rig.member(), rig.member(), rig.member(started=False), \
        rig.member()
    rig.emulator.block_bot("123456:TEST-token", blocked)
    rig.emulator.deactivate_user(gone)
    channel = rig.channel()
    too_long = part("r1p1", "я" * 4097)
    cases = [(blocked, HOSTILE), (gone, HOSTILE), (stranger, HOSTILE), (777, HOSTILE),
             (busy, too_long)]
    for chat, msg in cases:
        old = await outcome(channel.bot(aiogram_request(channel, chat, msg)))
        new = await outcome(channel.bot(channel.outbox.prepared(msg).to(chat)))
        same_failure(old, new, chat)
    await channel.bot(aiogram_request(channel, busy))  # now busy is inside its 1-s window
    old = await outcome(channel.bot(aiogram_request(channel, busy)))
    new = await outcome(channel.bot(channel.outbox.prepared(HOSTILE).to(busy)))
    same_failure(old, new, busy)
    assert isinstance(new, TelegramRetryAfter) and new.retry_after == 1


@pytest.mark.parametrize(("knobs", "status"), [
    ({"p_5xx": 1.0}, Status.FAILED),
    ({"p_timeout": 1.0, "hang_s": 5.0}, Status.UNCERTAIN),
])
async def test_lean_server_faults_are_aiogram_s(knobs: dict[str, Any], status: Status) -> None:
    faulty = await start_rig(**knobs)
    try:
        # Two chats: a request whose answer was lost did arrive, and counts for its chat.
        chat, other = faulty.member(), faulty.member()
        channel = faulty.channel(http_timeout_s=0.3)
        old = await outcome(channel.bot(aiogram_request(channel, chat)))
        new = await outcome(channel.bot(channel.outbox.prepared(HOSTILE).to(other)))
        assert type(new) is type(old) and type(new.__cause__) is type(old.__cause__)
        assert new.message == old.message
        assert result_for(str(other), new).status is status
    finally:
        await faulty.close()


async def test_a_part_is_encoded_once_and_bad_parts_never_cached(rig: TgRig) -> None:
    channel = rig.channel()
    first = channel.outbox.prepared(HOSTILE)
    assert channel.outbox.prepared(HOSTILE) is first
    assert first.to(1).chat_id == 1 and first.to(2).chat_id == 2
    empty = part("r1p0", " ")
    for _ in range(2):
        with pytest.raises(BadContent):
            channel.outbox.prepared(empty)
    [result] = await channel.send(["100000001"], empty)
    assert result.status is Status.INVALID and rig.stats()["requests_total"] == 0
    many = [part(f"r{n}p0", f"Новость {n}") for n in range(PREPARED_PARTS + 5)]
    for msg in many:
        channel.outbox.prepared(msg)
    assert len(channel.outbox._prepared) == PREPARED_PARTS
    assert channel.outbox.prepared(many[-1]).request.text == f"Новость {PREPARED_PARTS + 4}"


def test_a_bad_button_is_still_refused_before_any_encoding() -> None:
    with pytest.raises(BadContent, match="64"):
        keyboard(((Button("Длинно", payload="x" * 65),),))


def test_answer_models_survive_the_garbage_collector() -> None:
    """aiogram asks pydantic for Response[...] on every answer; a collected class would be
    rebuilt, schema and all (pydantic keeps parametrised generics only weakly)."""
    before = (id(Response[SentMessage]), id(Response[Message]))
    gc.collect()
    assert (id(Response[SentMessage]), id(Response[Message])) == before


async def test_other_methods_go_the_ordinary_way(rig: TgRig) -> None:
    channel = rig.channel()
    assert isinstance(channel.bot.session, LeanSession)
    me = await channel.bot.me()
    assert me.username == "rupor_123456_bot"
    assert LeanSendMessage.__returning__ is SentMessage
