"""The Viber emulator's endpoints, authentication and validation, driven with viberbot's
own message classes and, once, viberbot's own (synchronous) sender."""

from __future__ import annotations

import asyncio
import json

from viberbot import Api, BotConfiguration
from viberbot.api.messages import (
    FileMessage,
    KeyboardMessage,
    PictureMessage,
    TextMessage,
    URLMessage,
)

from sandbox.viber import ViberKnobs

try:  # the helpers sit next to this file; the directory may or may not be a package
    from .test_viber_support import BOT, TOKEN, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)
except ImportError:
    from test_viber_support import BOT, TOKEN, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)

KEYBOARD = {
    "Type": "keyboard",
    "Buttons": [
        {"ActionType": "reply", "ActionBody": "vote:yes", "Text": "Да", "Columns": 3},
        {"ActionType": "reply", "ActionBody": "vote:no", "Text": "Нет", "Columns": 3},
    ],
}
PDF = "https://example.org/leaflet.pdf"
MISSING_TYPE = 'keyboard is not valid. [object has missing required properties (["Type"])]'


def text(**extra: object) -> dict[str, object]:
    return {"type": "text", "text": "x", **extra}


def keyboard(*buttons: dict[str, object]) -> dict[str, object]:
    return {"Type": "keyboard", "Buttons": list(buttons)}


def test_defaults_are_vibers_documented_limits() -> None:
    knobs = ViberKnobs()
    assert (knobs.rate_limit, knobs.rate_window_s) == (500, 10.0)
    assert knobs.broadcast_max == 300
    assert knobs.max_body_bytes == 30 * 1024
    assert knobs.max_text_len == 7000
    assert (knobs.per_user_cap, knobs.per_user_window_s) == (100, 3600.0)
    assert knobs.broadcast_approved is True


async def test_missing_or_wrong_token_is_status_2(rig: Rig) -> None:
    assert await rig.call("get_account_info", token=None) == {
        "status": 2,
        "status_message": "missing_auth_token",
    }
    wrong = await rig.call("get_account_info", token="not-the-token")
    assert wrong == {"status": 2, "status_message": "invalidAuthToken"}
    mixed = await rig.call("get_account_info", {"auth_token": "other"}, token=TOKEN)
    assert mixed["status"] == 2
    assert rig.emulator.stats()["errors_by_status"]["2"] == 3


async def test_set_webhook_is_verified_by_a_signed_webhook_callback(rig: Rig) -> None:
    answer = await rig.set_webhook(event_types=["delivered", "seen"], send_name=True)
    assert answer == {"status": 0, "status_message": "ok", "event_types": ["delivered", "seen"]}
    [check] = rig.webhook.events("webhook")
    assert check.request.event_type == "webhook"
    assert isinstance(check.body["message_token"], int)
    assert rig.emulator.webhook.url == rig.webhook.url
    info = await rig.call("get_account_info")
    assert info["status"] == 0 and info["webhook"] == rig.webhook.url


async def test_set_webhook_fails_unless_the_url_answers_200(rig: Rig) -> None:
    rig.webhook.failures["webhook"] = 1
    assert await rig.set_webhook() == {"status": 1, "status_message": "invalidUrl"}
    closed = "http://127.0.0.1:9/viber"  # the discard port: nothing listens there
    assert (await rig.call("set_webhook", {"url": closed}))["status"] == 1
    assert (await rig.call("set_webhook", {"url": "not a url"}))["status"] == 1
    user = rig.subscriber()
    no_hook = await rig.send(user, TextMessage(text="привет").to_dict())
    assert no_hook == {"status": 10, "status_message": "webhookNotSet"}
    assert (await rig.set_webhook())["status"] == 0
    assert (await rig.call("set_webhook", {"url": ""}))["status"] == 0
    assert rig.emulator.webhook.url is None


async def test_get_user_details_twice_per_12_hours(rig: Rig) -> None:
    user = rig.emulator.add_user(name="Ольга", country="RU", api_version=8)
    first = await rig.call("get_user_details", {"id": user.id})
    assert first["status"] == 0
    assert first["user"]["id"] == user.id and first["user"]["name"] == "Ольга"
    assert first["user"]["api_version"] == 8
    assert (await rig.call("get_user_details", {"id": user.id}))["status"] == 0
    third = await rig.call("get_user_details", {"id": user.id})
    assert third == {"status": 12, "status_message": "tooManyRequests"}
    rig.clock.advance(12 * 3600 + 1)
    assert (await rig.call("get_user_details", {"id": user.id}))["status"] == 0
    assert (await rig.call("get_user_details", {"id": "nobody=="}))["status"] == 5
    assert (await rig.call("get_user_details", {}))["status"] == 4


async def test_get_online_takes_up_to_100_ids(rig: Rig) -> None:
    user = rig.emulator.add_user().id
    answer = await rig.call("get_online", {"ids": [user, "unknown=="]})
    assert answer["status"] == 0
    assert [(u["id"], u["online_status"]) for u in answer["users"]] == [(user, 1), ("unknown==", 4)]
    assert (await rig.call("get_online", {"ids": [user] * 101}))["status"] == 3


async def test_send_message_of_every_kind_lands_in_the_chat_log(rig: Rig) -> None:
    await rig.set_webhook()
    user = rig.subscriber()
    messages = [
        TextMessage(text="Собрание в четверг", tracking_data="run:1"),
        URLMessage(media="https://example.org/news"),
        KeyboardMessage(keyboard=KEYBOARD, tracking_data="poll:7"),
        TextMessage(text="Придёте?", keyboard=KEYBOARD, min_api_version=3),
    ]
    tokens = []
    for message in messages:
        answer = await rig.send(user, message.to_dict())
        assert answer["status"] == 0 and answer["status_message"] == "ok", answer
        assert isinstance(answer["message_token"], int)
        tokens.append(answer["message_token"])
    log = rig.emulator.chat_log(user)
    assert [m.message_token for m in log] == tokens
    assert [m.type for m in log] == ["text", "url", "keyboard", "text"]
    assert log[0].tracking_data == "run:1" and log[0].text == "Собрание в четверг"
    assert rig.emulator.keyboard_shown(user) == KEYBOARD
    stats = rig.emulator.stats()
    assert stats["accepted_messages_total"] == 4 and stats["accepted_messages_by_receiver"] == {
        user: 4
    }
    assert stats["requests"]["send_message"] == 4


async def test_receiver_states_answer_5_6_13(rig: Rig) -> None:
    await rig.set_webhook()
    news = TextMessage(text="Новости").to_dict()
    assert (await rig.send("AAAAAAAAAAAAAAAAAAAAAA==", news))["status_message"] == (
        "receiverNotRegistered"
    )
    stranger = rig.emulator.add_user(name="Пётр").id
    not_subscribed = {"status": 6, "status_message": "receiverNotSubscribed"}
    assert await rig.send(stranger, news) == not_subscribed
    old_phone = rig.subscriber(api_version=2)
    newer = TextMessage(text="Новости", min_api_version=3).to_dict()
    assert (await rig.send(old_phone, newer))["status"] == 13
    gone = rig.subscriber()
    rig.emulator.deactivate(gone)
    assert (await rig.send(gone, news))["status"] == 5
    left = rig.subscriber()
    rig.emulator.unsubscribe(left)
    assert (await rig.send(left, news))["status"] == 6


async def test_blocked_account_answers_7(make_rig: RigFactory) -> None:
    rig = await make_rig(account_blocked=True)
    assert await rig.call("get_account_info") == {
        "status": 7,
        "status_message": "publicAccountBlocked",
    }


async def test_validation_refuses_what_viber_would(rig: Rig) -> None:
    await rig.set_webhook()
    user = rig.subscriber()
    cases = [
        ({"type": "text", "text": "x" * 7001}, 3, "text is too long"),
        ({"type": "text"}, 4, '"text"'),
        (text(silent=True), 3, "not allowed"),
        ({"type": "sticker_pack", "text": "x"}, 3, "not found in enum"),
        (text(tracking_data="t" * 4001), 3, "tracking_data"),
        (text(keyboard={"Buttons": KEYBOARD["Buttons"]}), 3, MISSING_TYPE),
        (text(keyboard=keyboard()), 3, "Buttons"),
        (text(keyboard=keyboard(*[{"ActionBody": "a"}] * 25)), 3, "24"),
        (text(keyboard=keyboard({"ActionType": "call", "ActionBody": "a"})), 3, "call"),
        (text(keyboard=keyboard({"ActionType": "reply"})), 3, "ActionBody"),
        (text(keyboard=keyboard({"ActionBody": "a", "Columns": 7})), 3, "Columns"),
        ({"type": "file", "media": PDF, "file_name": "a.pdf"}, 4, "size"),
        ({"type": "file", "media": PDF, "size": 10, "file_name": "a.exe"}, 3, ".exe"),
        ({"type": "picture", "media": "ftp://example.org/a.png", "text": ""}, 3, "media"),
    ]
    for message, status, fragment in cases:
        answer = await rig.send(user, message)
        assert answer["status"] == status, (message, answer)
        assert fragment in answer["status_message"], (message, answer)
    no_sender = await rig.call("send_message", {"receiver": user, "type": "text", "text": "x"})
    assert no_sender["status"] == 4
    too_big = await rig.send(user, {"type": "text", "text": "x", "tracking_data": "t" * 31_000})
    assert too_big["status"] == 3 and "too big" in too_big["status_message"]
    assert rig.emulator.stats()["validation_errors"] == len(cases) + 2
    assert rig.emulator.chat_log(user) == []


async def test_size_is_measured_on_the_raw_body(rig: Rig) -> None:
    """7000 Cyrillic letters fit in 30 KB as UTF-8 but not as \\uXXXX escapes."""
    await rig.set_webhook()
    user = rig.subscriber()
    body = {"receiver": user, "sender": BOT, "type": "text", "text": "я" * 7000}
    headers = {"X-Viber-Auth-Token": TOKEN}
    for ensure_ascii, status in ((False, 0), (True, 3)):
        raw = json.dumps(body, ensure_ascii=ensure_ascii).encode()
        async with rig.http.post(f"{rig.base}/pa/send_message", data=raw, headers=headers) as r:
            assert (await r.json())["status"] == status


async def test_viberbot_messages_with_media_and_nulls_are_accepted(make_rig: RigFactory) -> None:
    rig = await make_rig(fetch_media=False)
    await rig.set_webhook()
    user = rig.subscriber()
    picture = PictureMessage(media="https://example.org/leaflet.png", text="Листовка")
    document = FileMessage(media="https://example.org/leaflet.pdf", size=2048, file_name="l.pdf")
    for message in (picture, document):
        assert (await rig.send(user, message.to_dict()))["status"] == 0
    assert [m.type for m in rig.emulator.chat_log(user)] == ["picture", "file"]


async def test_viberbot_sender_puts_the_token_in_the_body_and_is_counted(rig: Rig) -> None:
    api = Api(BotConfiguration(TOKEN, BOT["name"], BOT["avatar"]))
    api._request_sender._viber_bot_api_url = f"{rig.base}/pa"  # reroute its fixed origin
    events = await asyncio.to_thread(api.set_webhook, rig.webhook.url)
    assert "delivered" in events
    user = rig.subscriber()
    [token] = await asyncio.to_thread(api.send_messages, user, [TextMessage(text="Через SDK")])
    assert rig.emulator.chat_log(user)[0].message_token == token
    info = await asyncio.to_thread(api.get_account_info)
    assert info["status"] == 0
    assert rig.emulator.stats()["token_in_body"] == 3


async def test_stats_are_served_over_http(rig: Rig) -> None:
    await rig.call("get_account_info")
    async with rig.http.get(f"{rig.base}/__sandbox/stats") as response:
        served = await response.json()
    assert served["requests"] == {"get_account_info": 1}
    assert served == rig.emulator.stats()
    async with rig.http.post(f"{rig.base}/pa/no_such_endpoint", json={}) as response:
        assert response.status == 404
