"""Viber member texts read straight from the callback give the events viberbot's parsing
gives, and every shape the shortcut does not know still goes through viberbot."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from typing import Any

import pytest
from viberbot.api.viber_requests import create_request

from bots.viber.inbound import SIGNATURE_HEADER, Webhook, translate
from sandbox.viber.audience import ViberUser
from sandbox.viber.callbacks import WebhookConfig
from sandbox.viber.events import text_message

TOKEN = "viber-token-for-tests"


def callback(text: str, **user: Any) -> dict[str, Any]:
    person = ViberUser(id=user.get("id", "abc=="), name=user.get("name", "Мария"))
    return text_message(person, WebhookConfig(send_name=True), text, 1_700_000_000_000, 77)


def answer(payload: Any) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    signature = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    return Webhook(TOKEN, {"name": "Профсоюз"}).answer({SIGNATURE_HEADER: signature}, body)


@pytest.mark.parametrize("text", [
    "Когда индексация?", "/help", "/link 123456", "rupor:stop", "rupor:start:ORG7", "",
    "rupor:start:", "/ not a command",
])
def test_member_texts_give_the_events_viberbot_parsing_gives(text: str) -> None:
    payload = callback(text)
    expected = translate("message", payload, create_request(copy.deepcopy(payload)))
    got = answer(payload)
    assert got.status == 200 and got.events == expected and len(expected) == 1


def test_a_sender_without_a_name_and_a_text_without_text() -> None:
    payload = callback("x")
    del payload["sender"]["name"]
    del payload["message"]["text"]
    expected = translate("message", payload, create_request(copy.deepcopy(payload)))
    assert answer(payload).events == expected
    assert expected[0].sender.display_name == "" and expected[0].text == ""  # type: ignore[union-attr]


def _broken(change: str) -> dict[str, Any]:
    payload = callback("Вопрос")
    if change == "no token":
        del payload["message_token"]
    elif change == "no timestamp":
        del payload["timestamp"]
    elif change == "numeric id":
        payload["sender"]["id"] = 5
    elif change == "empty id":
        payload["sender"]["id"] = ""
    elif change == "text not a string":
        payload["message"]["text"] = {"a": 1}
    elif change == "no sender":
        del payload["sender"]
    return payload


@pytest.mark.parametrize("change", [
    "no token", "no timestamp", "numeric id", "empty id", "text not a string", "no sender",
])
def test_malformed_text_callbacks_are_still_refused(change: str) -> None:
    assert answer(_broken(change)).status == 400


def test_other_messages_still_go_through_viberbot() -> None:
    payload = callback("x")
    payload["message"] = {"type": "picture", "text": "Фото", "media": "https://x/y.jpg"}
    got = answer(payload)
    assert got.status == 200
    # The picture is described for the inbox, its URL kept as the attachment (attachments brief).
    assert [e.text for e in got.events] == ["Фото\n[фото]"]  # type: ignore[union-attr]
    assert [e.attachment for e in got.events] == [  # type: ignore[union-attr]
        "viber:picture:https://x/y.jpg"
    ]
