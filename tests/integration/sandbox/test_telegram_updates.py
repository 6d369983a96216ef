"""getUpdates (long poll, offsets, allowed_updates, conflicts) and webhook delivery."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web

from sandbox.telegram import TelegramKnobs

try:
    from .test_telegram_support import TOKEN, TgRig, tg, tg_rig, wait_for  # noqa: F401 (fixtures)
except ImportError:
    from test_telegram_support import TOKEN, TgRig, tg, tg_rig, wait_for  # noqa: F401 (fixtures)

FAST_RETRIES = TelegramKnobs(webhook_backoff_s=0.02, webhook_backoff_max_s=0.1)


async def test_long_poll_answers_as_soon_as_an_update_arrives(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    offset = (await bot.get_updates())[-1].update_id + 1
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(offset=offset, timeout=20))
    await asyncio.sleep(0.1)
    assert not poll.done()
    tg.emulator.send_text(TOKEN, anna, "Есть вопрос")
    updates = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 5
    assert [u.message.text for u in updates if u.message] == ["Есть вопрос"]


async def test_offset_confirms_earlier_updates_and_limit_caps_the_batch(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    for text in ("раз", "два", "три"):
        tg.emulator.send_text(TOKEN, anna, text)
    everything = await bot.get_updates()
    texts = [u.message.text for u in everything if u.message]
    assert texts == ["/start", "раз", "два", "три"]
    ids = [u.update_id for u in everything]
    assert ids == list(range(ids[0], ids[0] + 4))
    assert len(await bot.get_updates(limit=2)) == 2
    rest = await bot.get_updates(offset=ids[2] + 1)
    assert [u.update_id for u in rest] == [ids[3]]
    # Nothing below the offset comes back: those updates are confirmed and gone.
    assert [u.update_id for u in await bot.get_updates()] == [ids[3]]
    assert await bot.get_updates(offset=ids[3] + 1) == []
    tg.emulator.send_text(TOKEN, anna, "четыре")
    tg.emulator.send_text(TOKEN, anna, "пять")
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last if u.message] == ["пять"]


async def test_allowed_updates_filters_what_is_stored(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    offset = (await bot.get_updates())[-1].update_id + 1
    sent = await bot.send_message(
        anna,
        "Кнопка",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ок", callback_data="ok")]]
        ),
    )
    assert await bot.get_updates(offset=offset, allowed_updates=["callback_query"]) == []
    tg.emulator.send_text(TOKEN, anna, "не нужно")
    tg.emulator.press_button(TOKEN, anna, sent.message_id, "ok")
    kinds = [u.event_type for u in await bot.get_updates(offset=offset)]
    assert kinds == ["callback_query"]
    await bot.get_updates(offset=offset + 10, allowed_updates=[])
    tg.emulator.send_text(TOKEN, anna, "снова можно")
    kinds = [u.event_type for u in await bot.get_updates(offset=offset)]
    assert kinds == ["message"]


async def test_long_poll_timeout_is_clamped_and_ends_empty() -> None:
    async with tg_rig(TelegramKnobs(long_poll_max_s=0.2)) as rig:
        bot = rig.bot()
        started = time.monotonic()
        assert await bot.get_updates(timeout=30) == []
        assert time.monotonic() - started < 5


async def test_a_second_poller_ends_the_first_with_409(tg: TgRig) -> None:
    first, second, anna = tg.bot(), tg.bot(), tg.member()
    offset = (await first.get_updates())[-1].update_id + 1
    waiting = asyncio.create_task(first.get_updates(offset=offset, timeout=20))
    await asyncio.sleep(0.1)
    taking_over = asyncio.create_task(second.get_updates(offset=offset, timeout=20))
    with pytest.raises(TelegramConflictError) as caught:
        await asyncio.wait_for(waiting, 5)
    assert caught.value.message == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    tg.emulator.send_text(TOKEN, anna, "кто здесь?")
    updates = await asyncio.wait_for(taking_over, 5)
    assert [u.message.text for u in updates if u.message] == ["кто здесь?"]


@dataclass
class Receiver:
    """A webhook endpoint (aiohttp on port 0) that answers `status` and records requests."""

    status: int = 200
    url: str = ""
    received: list[tuple[int, str | None, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        status = self.status
        self.received.append((status, secret, await request.json()))
        return web.Response(status=status, text="ok")

    def delivered(self) -> list[dict[str, Any]]:
        return [body for status, _, body in self.received if status == 200]


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/hook", endpoint.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    endpoint.url = f"http://{host}:{port}/hook"
    try:
        yield endpoint
    finally:
        await runner.cleanup()


async def test_webhook_posts_in_order_with_the_secret_and_retries_non_2xx() -> None:
    async with tg_rig(FAST_RETRIES) as rig, receiver() as hook:
        bot, anna = rig.bot(), rig.member()
        hook.status = 500
        assert await bot.set_webhook(hook.url, secret_token="s3cr3t_-Token")
        with pytest.raises(TelegramConflictError) as caught:
            await bot.get_updates()
        assert caught.value.message == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        rig.emulator.send_text(TOKEN, anna, "первое")
        rig.emulator.send_text(TOKEN, anna, "второе")
        await wait_for(lambda: len(hook.received) >= 3)
        info = await bot.get_webhook_info()
        assert info.url == hook.url and info.pending_update_count == 3
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert info.last_error_date is not None
        hook.status = 200
        await wait_for(lambda: len(hook.delivered()) == 3)
        texts = [body["message"]["text"] for body in hook.delivered()]
        assert texts == ["/start", "первое", "второе"]
        ids = [body["update_id"] for body in hook.delivered()]
        assert ids == sorted(ids)
        assert {secret for _, secret, _ in hook.received} == {"s3cr3t_-Token"}
        # Retried: the first update was offered again after each 500, never skipped.
        assert all(
            body["update_id"] == ids[0] for status, _, body in hook.received if status == 500
        )
        assert (await bot.get_webhook_info()).pending_update_count == 0
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []


async def test_webhook_to_a_closed_port_reports_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with tg_rig(FAST_RETRIES) as rig:
        bot = rig.bot()
        rig.member()
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook")

        async def failed() -> bool:
            return bool((await bot.get_webhook_info()).last_error_message)

        await wait_for(failed)
        info = await bot.get_webhook_info()
        assert info.last_error_message == "Connection refused"
        assert info.pending_update_count == 1
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_set_webhook_checks_the_secret_and_ends_long_polls(tg: TgRig) -> None:
    bot = tg.bot()
    for secret, description in (
        ("with space", "secret token contains unallowed characters"),
        ("x" * 257, "secret token is too long"),
    ):
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.set_webhook("https://hooks.example/tg", secret_token=secret)
        assert caught.value.message == f"Bad Request: {description}"
    with pytest.raises(TelegramBadRequest, match="invalid webhook URL specified"):
        await bot.set_webhook("ftp://hooks.example/tg")
    tg.member()
    offset = (await bot.get_updates())[-1].update_id + 1
    waiting = asyncio.create_task(bot.get_updates(offset=offset, timeout=20))
    await asyncio.sleep(0.1)
    assert await tg.bot().set_webhook("https://hooks.example/tg", drop_pending_updates=True)
    with pytest.raises(TelegramConflictError, match="terminated by setWebhook request"):
        await asyncio.wait_for(waiting, 5)
    info = await bot.get_webhook_info()
    assert info.url == "https://hooks.example/tg" and info.pending_update_count == 0
