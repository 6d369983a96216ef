"""Telegram updates into Rupor's events: our getUpdates loop and the webhook, via the emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bots.telegram import TelegramChannel
from core.ports import (
    Button,
    ButtonPress,
    ChannelError,
    Command,
    OutboundPoll,
    PollAnswer,
    Status,
    Subscribed,
    Text,
    Unsubscribed,
)
from tests.integration.test_telegram_support import (
    TOKEN,
    Inbox,
    TgRig,
    eventually,
    part,
    rig,
    roomy_rig,
    start_rig,
)

__all__ = ["rig", "roomy_rig"]  # fixtures used by name

SECRET = "s3cret_Token-1"


async def test_polling_turns_member_actions_into_events(rig: TgRig) -> None:
    emulator = rig.emulator
    anna = emulator.add_user(first_name="Анна", last_name="Петрова")
    channel = rig.channel()
    inbox = Inbox()
    await channel.start(inbox)
    emulator.start_bot(TOKEN, anna, payload="s42")
    emulator.send_text(TOKEN, anna, "Когда собрание?")
    emulator.send_text(TOKEN, anna, "/Help@rupor_123456_bot  расписание ")
    emulator.send_text(TOKEN, anna, "/start")
    emulator.send_text(TOKEN, anna, "/ это не команда")
    emulator.block_bot(TOKEN, anna)
    emulator.unblock_bot(TOKEN, anna)  # back to "member": nothing until /start
    emulator.start_bot(TOKEN, anna)
    await eventually(lambda: len(inbox.events) == 7)
    joined, said, asked, again, slash, blocked, rejoined = inbox.events
    assert isinstance(joined, Subscribed) and joined.invite == "s42"
    assert (joined.sender.external_id, joined.sender.display_name) == (str(anna), "Анна Петрова")
    assert isinstance(said, Text) and said.text == "Когда собрание?" and not said.sender.is_group
    assert isinstance(asked, Command) and (asked.name, asked.args) == ("help", "расписание")
    assert isinstance(again, Subscribed) and again.invite is None
    assert isinstance(slash, Text) and slash.text == "/ это не команда"
    assert isinstance(blocked, Unsubscribed) and blocked.reason == "blocked"
    assert isinstance(rejoined, Subscribed)
    assert len({e.event_id for e in inbox.events}) == 7
    await eventually(lambda: emulator.pending_updates(TOKEN) == [])


async def test_group_messages_keep_author_and_reply(rig: TgRig) -> None:
    emulator = rig.emulator
    anna = emulator.add_user(first_name="Анна")
    group = emulator.add_group("Штаб <профкома>", member_ids=[anna])
    emulator.add_bot_to_group(TOKEN, group)
    channel = rig.channel()
    [posted] = await channel.send([str(group)], part("r1p0", "Вопрос от члена профсоюза"))
    inbox = Inbox()
    await channel.start(inbox)
    emulator.group_message(group, anna, "/ask@other_bot что-то")  # for another bot
    replied = int(posted.platform_message_id or 0)
    emulator.group_message(group, anna, "Отвечаю", reply_to_message_id=replied)
    emulator.group_message(group, anna, "/reply 5 Спасибо")
    await eventually(lambda: len(inbox.events) == 2)
    answer, command = inbox.events
    assert isinstance(answer, Text) and answer.text == "Отвечаю"
    assert answer.sender.is_group and answer.sender.external_id == str(group)
    assert answer.sender.display_name == "Штаб <профкома>"
    assert (answer.author_id, answer.reply_to) == (str(anna), posted.platform_message_id)
    assert isinstance(command, Command) and (command.name, command.args) == ("reply", "5 Спасибо")


async def test_button_presses_and_votes_come_back(roomy_rig: TgRig) -> None:
    rig = roomy_rig
    emulator = rig.emulator
    anna = rig.member(first_name="Анна")
    channel = rig.channel()
    buttons = ((Button("Участвую", payload="join:7"),),)
    [sent] = await channel.send([str(anna)], part("r1p0", "Слёт педагогов", buttons=buttons))
    poll = OutboundPoll("r2p0", 3, "Удобно в субботу?", ("Да", "Нет"), allows_multiple=True)
    [polled] = await channel.send_poll([str(anna)], poll)
    assert polled.result.status is Status.SENT
    inbox = Inbox()
    await channel.start(inbox)
    query = emulator.press_button(TOKEN, anna, int(sent.platform_message_id or 0), "join:7")
    emulator.vote(TOKEN, anna, polled.platform_poll_id or "", [0, 1])
    emulator.vote(TOKEN, anna, polled.platform_poll_id or "", [])
    await eventually(lambda: len(inbox.of(PollAnswer)) == 2)
    [press] = inbox.of(ButtonPress)
    assert (press.payload, press.message_id, press.callback_id) == (
        "join:7", sent.platform_message_id, query)
    assert press.sender.external_id == str(anna)
    voted, retracted = inbox.of(PollAnswer)
    assert voted.platform_poll_id == polled.platform_poll_id and voted.option_ids == (0, 1)
    assert retracted.option_ids == () and voted.sender.display_name == "Анна"
    await eventually(lambda: emulator.callback_answer(query) is not None)


async def test_an_update_is_confirmed_only_after_it_was_handled(rig: TgRig) -> None:
    emulator = rig.emulator
    anna = rig.member()
    emulator.send_text(TOKEN, anna, "раз")
    emulator.send_text(TOKEN, anna, "два")
    started, first, second = (str(u["update_id"]) for u in emulator.pending_updates(TOKEN))
    channel = rig.channel()
    channel.poller.pause_s = 0.02
    inbox = Inbox(fail_first={first})
    await channel.start(inbox)
    await eventually(lambda: len(inbox.events) == 4)
    assert [e.event_id for e in inbox.events] == [started, first, first, second]
    assert inbox.failures == [first]
    await eventually(lambda: emulator.pending_updates(TOKEN) == [])
    assert emulator.stats()["requests_by_method"]["getUpdates"] >= 3


async def test_an_update_aiogram_cannot_read_is_logged_and_passed_over(
    rig: TgRig, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = rig.emulator
    anna = rig.member()
    # A message whose chat is not an object: one such update must not stop polling.
    emulator.push_update(TOKEN, "message", {"message_id": 7, "date": 1, "chat": "oops"})
    emulator.send_text(TOKEN, anna, "Вопрос после сбоя")
    inbox = Inbox()
    await rig.channel().start(inbox)
    await eventually(lambda: len(inbox.events) == 2)
    joined, asked = inbox.events
    assert isinstance(joined, Subscribed) and isinstance(asked, Text)
    assert asked.text == "Вопрос после сбоя"
    await eventually(lambda: emulator.pending_updates(TOKEN) == [])
    [skipped] = [r for r in caplog.records if "aiogram can read" in r.getMessage()]
    assert "'oops'" in skipped.getMessage() and skipped.levelname == "ERROR"


async def test_an_update_never_handled_comes_again_after_a_restart(rig: TgRig) -> None:
    emulator = rig.emulator
    anna = rig.member()
    [start] = (str(u["update_id"]) for u in emulator.pending_updates(TOKEN))
    failing = Inbox(fail_first={start})
    first_run = rig.channel()
    first_run.poller.pause_s = 10.0  # it stops before it tries again
    await first_run.start(failing)
    await eventually(lambda: failing.failures == [start])
    await first_run.close()
    inbox = Inbox()
    await rig.channel().start(inbox)
    await eventually(lambda: len(inbox.events) == 1)
    assert inbox.events[0].event_id == start and isinstance(inbox.events[0], Subscribed)
    assert inbox.events[0].sender.external_id == str(anna)


async def test_start_refuses_a_token_telegram_does_not_know(rig: TgRig) -> None:
    with pytest.raises(ChannelError, match="Unauthorized"):
        await rig.channel(token="999:unknown-token").start(Inbox())


# Webhooks ---------------------------------------------------------------------------------


class Receiver:
    """Our side of the webhook: the adapter authenticates, the 'core' commits, then 200.

    It listens before the channel exists, since its URL goes into the channel's settings.
    """

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.channel: TelegramChannel | None = None
        app = web.Application()
        app.router.add_post("/webhooks/telegram", self._handle)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)

    async def start(self) -> str:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _handle(self, request: web.Request) -> web.Response:
        assert self.channel is not None
        answer = await self.channel.handle_webhook(request.headers, await request.read())
        try:
            for event in answer.events:
                await self.inbox(event)
        except RuntimeError:
            return web.Response(status=500, text="not stored")
        return web.Response(status=answer.status, text=answer.body)

    async def close(self) -> None:
        await self.runner.cleanup()


@pytest.fixture
async def hook_rig() -> AsyncIterator[TgRig]:
    made = await start_rig(webhook_backoff_s=0.05)
    yield made
    await made.close()


async def test_webhook_mode_registers_the_secret_and_receives_updates(hook_rig: TgRig) -> None:
    rig = hook_rig
    emulator = rig.emulator
    anna = emulator.add_user(first_name="Анна")
    inbox = Inbox()
    served = Receiver(inbox)
    public_url = await served.start()
    channel = served.channel = rig.channel(mode="webhook", secret=SECRET, public_url=public_url)
    try:
        await channel.start(inbox)
        info = await channel.bot.get_webhook_info()
        assert info.url == public_url + "/webhooks/telegram"
        assert sorted(info.allowed_updates or []) == sorted(
            ["message", "edited_message", "callback_query", "poll_answer", "my_chat_member"])
        emulator.start_bot(TOKEN, anna, payload="s42")
        yes = ((Button("Да", payload="yes"),),)
        [sent] = await channel.send([str(anna)], part("r1p0", "Кнопка", buttons=yes))
        query = emulator.press_button(TOKEN, anna, int(sent.platform_message_id or 0), "yes")
        await eventually(lambda: len(inbox.events) == 2)
        joined, press = inbox.events
        assert isinstance(joined, Subscribed) and joined.invite == "s42"
        assert isinstance(press, ButtonPress) and press.callback_id == query
        await eventually(lambda: emulator.callback_answer(query) is not None)
        assert emulator.stats()["webhook"]["failures"] == 0
    finally:
        await served.close()


async def test_a_webhook_call_not_stored_is_delivered_again(hook_rig: TgRig) -> None:
    rig = hook_rig
    anna = rig.member()
    [start] = (str(u["update_id"]) for u in rig.emulator.pending_updates(TOKEN))
    inbox = Inbox(fail_first={start})
    served = Receiver(inbox)
    public_url = await served.start()
    channel = served.channel = rig.channel(mode="webhook", secret=SECRET, public_url=public_url)
    try:
        await channel.start(inbox)
        await eventually(lambda: len(inbox.events) == 2)
        assert [e.event_id for e in inbox.events] == [start, start]
        assert inbox.events[1].sender.external_id == str(anna)
        assert rig.emulator.stats()["webhook"]["failures"] == 1
    finally:
        await served.close()


def update_body(update_id: int = 900, text: str = "/start s42") -> bytes:
    user = {"id": 100000009, "is_bot": False, "first_name": "Анна"}
    message = {"message_id": 1, "date": 1767225600, "from": user,
               "chat": {"id": 100000009, "type": "private", "first_name": "Анна"},
               "text": text, "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def test_webhook_calls_are_authenticated_before_anything_else(rig: TgRig) -> None:
    channel = rig.channel(mode="webhook", secret=SECRET, public_url="https://rupor.example")
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    accepted = await channel.handle_webhook(good, update_body())
    assert accepted.status == 200
    [event] = accepted.events
    assert isinstance(event, Subscribed) and event.invite == "s42" and event.event_id == "900"
    lower = {"x-telegram-bot-api-secret-token": SECRET}
    assert (await channel.handle_webhook(lower, update_body())).status == 200
    for headers in ({"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
                    {"X-Telegram-Bot-Api-Secret-Token": "ключ"}, {}):
        refused = await channel.handle_webhook(headers, update_body())
        assert (refused.status, refused.events) == (401, ())
    for body in (b"{not json", b"[1, 2]", b'{"update_id": "x"}', b"\xff\xfe"):
        malformed = await channel.handle_webhook(good, body)
        assert (malformed.status, malformed.events) == (400, ())
    # An update aiogram cannot read: confirmed (Telegram would only resend it), no event.
    odd = b'{"update_id": 901, "message": {"message_id": 1, "date": 1, "chat": "oops"}}'
    skipped = await channel.handle_webhook(good, odd)
    assert (skipped.status, skipped.events) == (200, ())
    again = await channel.handle_webhook(good, update_body())
    assert again.status == 200 and again.events == accepted.events  # the core de-duplicates
    assert rig.stats()["requests_total"] == 0


async def test_webhook_mode_needs_a_secret_and_a_public_url(rig: TgRig) -> None:
    no_secret = rig.channel(mode="webhook", public_url="https://rupor.example")
    with pytest.raises(ChannelError, match="webhook_secret"):
        await no_secret.start(Inbox())
    no_url = rig.channel(mode="webhook", secret=SECRET)
    with pytest.raises(ChannelError, match="public_url"):
        await no_url.start(Inbox())
    polling = rig.channel()
    refused = await polling.handle_webhook({"X-Telegram-Bot-Api-Secret-Token": ""}, update_body())
    assert refused.status == 401  # no secret configured: no webhook call is ever accepted


async def test_polling_after_a_webhook_removes_the_webhook(hook_rig: TgRig) -> None:
    rig = hook_rig
    hooked = rig.channel(mode="webhook", secret=SECRET, public_url="http://127.0.0.1:9")
    await hooked.start(Inbox())
    anna = rig.member()
    inbox = Inbox()
    await rig.channel().start(inbox)
    await eventually(lambda: len(inbox.events) == 1)
    assert isinstance(inbox.events[0], Subscribed)
    assert inbox.events[0].sender.external_id == str(anna)
    assert rig.stats()["requests_by_method"]["deleteWebhook"] == 1
