"""Callbacks and member actions: every callback is signed and parses with viberbot's own
`create_request`; failed callbacks are retried; welcome messages and button presses."""

from __future__ import annotations

import json

import pytest
from viberbot.api.messages import KeyboardMessage, TextMessage
from viberbot.api.viber_requests import (
    ViberConversationStartedRequest,
    ViberDeliveredRequest,
    ViberFailedRequest,
    ViberMessageRequest,
    ViberSeenRequest,
    ViberSubscribedRequest,
    ViberUnsubscribedRequest,
)

from sandbox.viber import BotMessage

try:  # the helpers sit next to this file; the directory may or may not be a package
    from .test_viber_support import BOT, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)
except ImportError:
    from test_viber_support import BOT, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)

POLL = {
    "Type": "keyboard",
    "InputFieldState": "hidden",
    "Buttons": [
        {"ActionType": "reply", "ActionBody": "poll:7:yes", "Text": "Да", "Columns": 3},
        {"ActionType": "reply", "ActionBody": "poll:7:no", "Text": "Нет", "Silent": True},
        {"ActionType": "open-url", "ActionBody": "https://example.org", "Text": "Сайт"},
    ],
}


async def test_opening_subscribing_writing_and_voting_reach_the_webhook(rig: Rig) -> None:
    await rig.set_webhook(send_name=True, send_photo=True)
    user = rig.emulator.add_user(name="Мария", avatar="https://example.org/m.jpg").id
    rig.emulator.open_conversation(user, context="org:perm")
    [started] = await rig.webhook.wait_for("conversation_started")
    assert isinstance(started.request, ViberConversationStartedRequest)
    assert started.request.context == "org:perm" and started.request.subscribed is False
    assert started.request.user.id == user and started.request.user.name == "Мария"
    assert started.request.user.avatar == "https://example.org/m.jpg"
    rig.emulator.subscribe(user)
    [subscribed] = await rig.webhook.wait_for("subscribed")
    assert isinstance(subscribed.request, ViberSubscribedRequest)
    assert subscribed.request.user.id == user
    rig.emulator.send_text(user, "Здравствуйте")
    [hello] = await rig.webhook.wait_for("message")
    assert isinstance(hello.request, ViberMessageRequest)
    assert hello.request.sender.id == user and hello.request.message.text == "Здравствуйте"
    poll = KeyboardMessage(keyboard=POLL, tracking_data="poll:7")
    await rig.send(user, TextMessage(text="Придёте?", **_parts(poll)).to_dict())
    rig.emulator.press_button(user, "poll:7:yes")
    vote = (await rig.webhook.wait_for("message", 2))[1]
    assert vote.request.message.text == "poll:7:yes"
    assert vote.request.message.tracking_data == "poll:7"
    assert vote.request.silent is False
    rig.emulator.press_button(user, "poll:7:no")  # the keyboard is still shown
    silent_vote = (await rig.webhook.wait_for("message", 3))[2]
    assert silent_vote.request.message.text == "poll:7:no" and silent_vote.request.silent is True
    assert rig.webhook.bad_signatures == 0


async def test_receipts_and_unsubscribing_reach_the_webhook(rig: Rig) -> None:
    user = rig.subscriber()
    await rig.set_webhook()
    sent = await rig.send(user, TextMessage(text="Листовка").to_dict())
    rig.emulator.report_delivered(user, sent["message_token"])
    rig.emulator.report_seen(user, sent["message_token"])
    rig.emulator.report_failed(user, sent["message_token"], "device is offline")
    rig.emulator.unsubscribe(user)
    await rig.emulator.drain_callbacks()
    [delivered], [seen] = rig.webhook.events("delivered"), rig.webhook.events("seen")
    [failed], [left] = rig.webhook.events("failed"), rig.webhook.events("unsubscribed")
    assert isinstance(delivered.request, ViberDeliveredRequest)
    assert isinstance(seen.request, ViberSeenRequest)
    assert isinstance(failed.request, ViberFailedRequest)
    assert isinstance(left.request, ViberUnsubscribedRequest)
    for receipt in (delivered, seen, failed):
        assert receipt.request.message_token == sent["message_token"]
        assert receipt.request.user_id == user
    assert failed.request.desc == "device is offline" and left.request.user_id == user
    assert [c.body["event"] for c in rig.webhook.received] == [
        "webhook", "delivered", "seen", "failed", "unsubscribed",
    ]  # fmt: skip
    assert rig.webhook.bad_signatures == 0


def _parts(message: KeyboardMessage) -> dict[str, object]:
    return {"keyboard": message.keyboard, "tracking_data": message.tracking_data}


async def test_a_tampered_body_fails_the_signature_check(rig: Rig) -> None:
    await rig.set_webhook()
    [check] = rig.webhook.events("webhook")
    assert rig.webhook.api.verify_signature(check.raw, check.signature)
    tampered = check.raw.replace(b'"webhook"', b'"seen"')
    assert not rig.webhook.api.verify_signature(tampered, check.signature)


async def test_names_and_photos_only_when_set_webhook_asked(rig: Rig) -> None:
    await rig.set_webhook()
    user = rig.emulator.add_user(name="Скрытый", avatar="https://example.org/s.jpg").id
    rig.emulator.send_text(user, "Привет")
    [message] = await rig.webhook.wait_for("message")
    assert message.request.sender.id == user
    assert message.request.sender.name is None and message.request.sender.avatar is None
    assert rig.emulator.user(user).subscribed  # a first message subscribes silently
    assert rig.webhook.events("subscribed") == []


async def test_filtered_events_are_not_sent(rig: Rig) -> None:
    user = rig.subscriber()
    await rig.set_webhook(event_types=["delivered"])
    sent = await rig.send(user, TextMessage(text="Новости").to_dict())
    rig.emulator.report_seen(user, sent["message_token"])
    rig.emulator.report_delivered(user, sent["message_token"])
    await rig.emulator.drain_callbacks()
    assert [c.body["event"] for c in rig.webhook.received] == ["webhook", "delivered"]
    assert rig.emulator.stats()["callbacks"]["not_sent"] >= 1


async def test_failed_callbacks_are_retried_then_dropped(make_rig: RigFactory) -> None:
    rig: Rig = await make_rig(callback_retry_delays_s=(0.01, 0.02))
    await rig.set_webhook()
    user = rig.emulator.add_user().id
    rig.webhook.failures["subscribed"] = 2
    rig.emulator.subscribe(user)
    await rig.webhook.wait_for("subscribed")
    rig.webhook.failures["unsubscribed"] = 3
    rig.emulator.unsubscribe(user)
    await rig.emulator.drain_callbacks()
    assert rig.webhook.events("unsubscribed") == []
    attempts = [(a.event, a.attempt, a.http_status) for a in rig.emulator.callback_attempts]
    assert attempts[1:] == [
        ("subscribed", 0, 500), ("subscribed", 1, 500), ("subscribed", 2, 200),
        ("unsubscribed", 0, 500), ("unsubscribed", 1, 500), ("unsubscribed", 2, 500),
    ]  # fmt: skip
    callbacks = rig.emulator.stats()["callbacks"]
    assert callbacks["retries"] == 4 and callbacks["dropped"] == 1


async def test_welcome_message_in_the_answer_to_conversation_started(rig: Rig) -> None:
    await rig.set_webhook()
    welcome = TextMessage(text="Добро пожаловать!", tracking_data="welcome")
    rig.webhook.answers["conversation_started"] = json.dumps(
        {"sender": BOT, **welcome.to_dict()}
    ).encode()
    user = rig.emulator.add_user().id
    rig.emulator.open_conversation(user)
    await rig.emulator.drain_callbacks()
    [greeting] = rig.emulator.chat_log(user)
    assert greeting.endpoint == "welcome" and greeting.text == "Добро пожаловать!"
    assert not rig.emulator.user(user).subscribed  # a welcome needs no subscription
    rig.webhook.answers["conversation_started"] = b'{"type": "text"}'
    rig.emulator.open_conversation(user)
    await rig.emulator.drain_callbacks()
    assert len(rig.emulator.chat_log(user)) == 1
    assert rig.emulator.stats()["welcome_refusals"] == 1


async def test_listeners_hear_each_accepted_message_and_may_act(rig: Rig) -> None:
    heard: list[BotMessage] = []

    def union_member(message: BotMessage) -> None:
        heard.append(message)
        rig.emulator.report_delivered(message.receiver, message.message_token)

    rig.emulator.add_bot_message_listener(union_member)
    user = rig.subscriber()
    await rig.set_webhook()
    sent = await rig.send(user, TextMessage(text="Листовка").to_dict())
    [delivered] = await rig.webhook.wait_for("delivered")
    assert [m.message_token for m in heard] == [sent["message_token"]]
    assert delivered.request.message_token == sent["message_token"]


async def test_members_can_only_press_the_buttons_they_see(rig: Rig) -> None:
    user = rig.subscriber()
    await rig.set_webhook()
    with pytest.raises(ValueError):
        rig.emulator.press_button(user, "poll:7:yes")
    await rig.send(user, {"type": "text", "text": "?", "keyboard": POLL})
    with pytest.raises(ValueError):
        rig.emulator.press_button(user, "https://example.org")  # open-url sends nothing
    await rig.send(user, {"type": "text", "text": "Без кнопок"})
    with pytest.raises(ValueError):  # a message without a keyboard hides it
        rig.emulator.press_button(user, "poll:7:yes")
    with pytest.raises(ValueError):
        rig.emulator.report_seen(user, 12345)  # never received
