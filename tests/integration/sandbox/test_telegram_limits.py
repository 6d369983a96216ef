"""Telegram's send limits, retry_after windows and injected faults, met by a real aiogram Bot.

Rate windows run on the rig's FakeClock: requests of one burst arrive at the same instant,
and moving the clock stands for waiting (or not waiting) the announced retry_after.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from sandbox.telegram import TelegramKnobs

try:
    from .test_telegram_support import TOKEN, TgRig, tg, tg_rig  # noqa: F401 (fixtures)
except ImportError:
    from test_telegram_support import TOKEN, TgRig, tg, tg_rig  # noqa: F401 (fixtures)


async def _burst(bot: Bot, chats: list[int], **kwargs: object) -> tuple[list[int], list[int]]:
    """Send to every chat at once: (chats accepted, retry_after of each refusal)."""
    results = await asyncio.gather(
        *(bot.send_message(chat, "Собрание в пятницу", **kwargs) for chat in chats),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    accepted = [
        chat for chat, r in zip(chats, results, strict=True) if not isinstance(r, BaseException)
    ]
    refused = [r.retry_after for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(accepted) + len(refused) == len(chats), results
    return accepted, refused


def test_default_limits_are_telegrams() -> None:
    knobs = TelegramKnobs()
    assert (knobs.bot_ceiling, knobs.bot_window_s, knobs.paid_ceiling) == (30, 1.0, 1000)
    assert (knobs.per_chat_per_s, knobs.chat_window_s) == (1, 1.0)
    assert (knobs.per_group_per_min, knobs.group_window_s) == (20, 60.0)


async def test_bot_ceiling_refuses_above_30_per_second_and_counts_ignored_windows(
    tg: TgRig,
) -> None:
    bot = tg.bot()
    chats = [tg.member() for _ in range(40)]
    accepted, refused = await _burst(bot, chats)
    assert len(accepted) == 30 and len(refused) == 10
    assert all(isinstance(n, int) and n >= 1 for n in refused)
    stats = tg.emulator.stats()
    assert stats["max_sends_in_1s"] == 30 and stats["violations"] == 0
    assert stats["rate_limited"] == 10
    late = [chat for chat in chats if chat not in accepted]
    # Ignoring the window: 200 ms later is inside the announced second.
    tg.clock.advance(0.2)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(late[0], "Собрание в пятницу")
    assert caught.value.retry_after == 1
    assert tg.emulator.stats()["violations"] == 1
    # Honouring it: after retry_after everyone left gets the message, no new violation.
    tg.clock.advance(refused[0])
    accepted_later, refused_later = await _burst(bot, late)
    assert len(accepted_later) == 10 and refused_later == []
    stats = tg.emulator.stats()
    assert stats["violations"] == 1 and stats["accepted_messages_total"] == 40
    assert stats["violations_by_scope"] == {"bot:123456789": 1}


async def test_honoured_window_counts_no_violation(tg: TgRig) -> None:
    bot = tg.bot()
    chats = [tg.member() for _ in range(31)]
    accepted, refused = await _burst(bot, chats)
    assert (len(accepted), refused) == (30, [1])
    tg.clock.advance(refused[0])
    late = next(chat for chat in chats if chat not in accepted)
    assert await bot.send_message(late, "Собрание в пятницу")
    assert tg.emulator.stats()["violations"] == 0


async def test_paid_broadcast_lifts_the_ceiling(tg: TgRig) -> None:
    bot = tg.bot()
    chats = [tg.member() for _ in range(40)]
    accepted, refused = await _burst(bot, chats, allow_paid_broadcast=True)
    assert (len(accepted), refused) == (40, [])
    assert tg.emulator.stats()["max_sends_in_1s"] == 40


async def test_one_message_per_second_per_chat(tg: TgRig) -> None:
    bot, anna, boris = tg.bot(), tg.member(), tg.member()
    await bot.send_message(anna, "раз")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(anna, "два")
    assert caught.value.retry_after == 1
    assert await bot.send_message(boris, "другой чат не ждёт")
    tg.clock.advance(0.01)  # still in flight when the 429 was announced: not a violation
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(anna, "два")
    assert tg.emulator.stats()["violations"] == 0
    tg.clock.advance(0.5)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(anna, "два")
    assert tg.emulator.stats()["violations_by_scope"] == {f"chat:123456789:{anna}": 1}
    tg.clock.advance(1)
    assert (await bot.send_message(anna, "два")).text == "два"
    # Edits are not sends: they do not meet the per-chat limit.
    sent = tg.emulator.chat_log(TOKEN, anna)[-1]["message_id"]
    for text in ("два!", "два!!", "два!!!"):
        assert await bot.edit_message_text(text, chat_id=anna, message_id=sent)


async def test_twenty_messages_per_minute_per_group(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    staff = tg.emulator.add_group("Штаб", member_ids=[anna])
    tg.emulator.add_bot_to_group(TOKEN, staff)
    for number in range(20):
        await bot.send_message(staff, f"Сообщение {number}")
        tg.clock.advance(1)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(staff, "двадцать первое")
    # The first of the 20 left the minute window 60 s after it was sent: 40 s from now.
    assert caught.value.retry_after == 40
    tg.clock.advance(40)
    assert await bot.send_message(staff, "двадцать первое")


async def test_group_window_is_a_knob() -> None:
    knobs = TelegramKnobs(per_group_per_min=3, group_window_s=2.0, per_chat_per_s=10)
    async with tg_rig(knobs) as rig:
        bot, anna = rig.bot(), rig.member()
        staff = rig.emulator.add_group("Штаб", member_ids=[anna])
        rig.emulator.add_bot_to_group(TOKEN, staff)
        for _ in range(3):
            await bot.send_message(staff, "x")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(staff, "x")
        assert caught.value.retry_after == 2


async def test_injected_429_and_5xx_record_nothing() -> None:
    async with tg_rig(TelegramKnobs(p_429=1.0)) as rig:
        bot, anna = rig.bot(), rig.member()
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(anna, "x")
        assert caught.value.retry_after == 1
        assert rig.emulator.chat_log(TOKEN, anna) == []
        assert rig.emulator.stats()["faults_injected"]["429"] == 1
    async with tg_rig(TelegramKnobs(p_5xx=1.0)) as rig:
        bot, anna = rig.bot(), rig.member()
        with pytest.raises(TelegramServerError) as server_error:
            await bot.send_message(anna, "x")
        assert server_error.value.message in ("Internal Server Error", "Bad Gateway")
        assert rig.emulator.chat_log(TOKEN, anna) == []
        assert rig.emulator.stats()["faults_injected"]["5xx"] == 1
        assert await bot.get_me()  # only sends meet injected faults


async def test_timeout_after_acceptance_delivers_the_message() -> None:
    async with tg_rig(TelegramKnobs(p_timeout=1.0, hang_s=30.0)) as rig:
        bot, anna = rig.bot(timeout=0.3), rig.member()
        with pytest.raises(TelegramNetworkError, match="Request timeout error"):
            await bot.send_message(anna, "Дошло?")
        assert [m["text"] for m in rig.emulator.chat_log(TOKEN, anna)] == ["Дошло?"]
        stats = rig.emulator.stats()
        assert stats["faults_injected"]["timeouts"] == 1
        assert stats["accepted_messages_total"] == 1
        started = time.monotonic()
    # Closing does not wait for the hanging answer.
    assert time.monotonic() - started < 5


async def test_latency_is_added_to_every_answer() -> None:
    async with tg_rig(TelegramKnobs(latency_s=0.2)) as rig:
        started = time.monotonic()
        assert await rig.bot().get_me()
        assert time.monotonic() - started >= 0.2


async def test_faults_can_change_while_running(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    tg.emulator.set_faults(p_5xx=1.0)
    with pytest.raises(TelegramServerError):
        await bot.send_message(anna, "x")
    tg.emulator.set_faults(p_5xx=0.0)
    assert await bot.send_message(anna, "x")
    with pytest.raises(ValueError, match="not a fault knob"):
        tg.emulator.set_faults(bot_ceiling=5)
