"""The webhook shortcut for private texts gives exactly aiogram's event, or steps aside."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiogram import Bot

from bots.telegram.inbound import translate
from bots.telegram.quick import quick_event
from bots.telegram.webhook import parse_update

BOT = Bot("123456:" + "A" * 35)
USER = {"id": 7001, "is_bot": False, "first_name": "Анна", "last_name": "Петрова"}


def update(text: Any = "Когда индексация?", **changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 11, "date": 1_790_000_000, "from": dict(USER),
        "chat": {"id": 7001, "type": "private", "first_name": "Анна"}, "text": text,
    }
    message.update(changes)
    return {"update_id": 900_001, "message": message}


def slow(body: bytes, username: str | None = "rupor_bot") -> Any:
    parsed = parse_update(body, BOT)
    return None if parsed is None else translate(parsed, username)


TAKEN = [
    update(),
    update("/start school-42"),
    update("/start"),
    update("/help"),
    update("/stop@rupor_bot"),
    update("/"),
    update("/ пробел"),
    update("Ёлки <b>&amp;</b> \u2028 \\ \" 😀"),
    update(**{"from": {"id": 7001, "is_bot": False, "first_name": "Анна"}}),
    update(**{"from": {"id": 7001, "is_bot": False, "first_name": "", "last_name": "Б"}}),
    update(entities=[{"type": "bold", "offset": 0, "length": 5}]),
]

STEPPED_ASIDE = [
    update("/stop@other_bot"),  # for another bot: aiogram's path also gives no event
    update(reply_to_message={"message_id": 3, "date": 1, "chat": {"id": 1, "type": "private"}}),
    update(chat={"id": -100, "type": "supergroup", "title": "Штаб"}),
    update(**{"from": {"id": 1, "is_bot": True, "first_name": "Бот"}}),
    update(**{"from": {"id": "7001", "is_bot": False, "first_name": "Анна"}}),
    update(**{"from": {"id": 7001, "is_bot": "false", "first_name": "Анна"}}),
    update(**{"from": {"id": 7001, "is_bot": False}}),
    update(text=None, caption="подпись"),
    update(text=5),
    update(message_id="11"),
    update(date=None),
    {"update_id": 5, "callback_query": {"id": "q", "from": USER, "chat_instance": "c"}},
    {"update_id": "900001", "message": update()["message"]},
    {"update_id": 900_001, "message": update()["message"], "edited_message": {}},
    [1, 2],
]


@pytest.mark.parametrize("data", TAKEN, ids=range(len(TAKEN)))
def test_the_shortcut_gives_aiograms_event(data: dict[str, Any]) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    quick = quick_event(body, "rupor_bot")
    assert quick is not None and quick == slow(body)


@pytest.mark.parametrize("data", STEPPED_ASIDE, ids=range(len(STEPPED_ASIDE)))
def test_other_shapes_are_left_to_aiogram(data: Any) -> None:
    assert quick_event(json.dumps(data).encode(), "rupor_bot") is None


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"null", b'"text"'])
def test_malformed_bodies_are_left_to_aiogram(body: bytes) -> None:
    assert quick_event(body, None) is None and slow(body) is None
