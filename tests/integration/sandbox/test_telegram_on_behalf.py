"""Messages that are not simply from their sender: a forwarded text (Message.forward_origin
of each MessageOrigin type) and a group message sent on behalf of a chat (Message.
sender_chat — an anonymous administrator, or a member writing as a channel). The updates
are read with aiogram's getUpdates and their raw JSON checked field by field against the
Bot API spec (required fields present, no field the spec lacks)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import (
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)

from sandbox.telegram import MemberActionError
from sandbox.telegram.spec import load_spec

try:
    from .test_telegram_support import TOKEN, TgRig, tg  # noqa: F401 (fixtures)
except ImportError:
    from test_telegram_support import TOKEN, TgRig, tg  # noqa: F401 (fixtures)

ORIGIN_TYPES = {"user": "MessageOriginUser", "hidden_user": "MessageOriginHiddenUser",
                "chat": "MessageOriginChat", "channel": "MessageOriginChannel"}


def conforms(value: dict[str, Any], type_name: str) -> None:
    """`value` has every required field of the spec's type and no field it lacks."""
    fields = load_spec().types[type_name].fields
    assert set(value) <= set(fields), (type_name, set(value) - set(fields))
    missing = {name for name, f in fields.items() if f.required} - set(value)
    assert not missing, (type_name, missing)


def last_message(tg: TgRig) -> dict[str, Any]:
    update = tg.emulator.pending_updates(TOKEN)[-1]
    message: dict[str, Any] = update["message"]
    return message


@pytest.mark.parametrize("origin", list(ORIGIN_TYPES))
async def test_a_forwarded_text_carries_its_origin(tg: TgRig, origin: str) -> None:
    anna, boris = tg.member(), tg.member(first_name="Борис")
    group = tg.emulator.add_group("Профком школы", member_ids=[boris])
    channel = tg.emulator.add_channel("Профсоюз образования", username="prof_news")
    source: dict[str, Any] = {
        "user": {"from_user": boris}, "hidden_user": {"hidden_name": "Борис Скрытный"},
        "chat": {"from_chat": group, "signature": "председатель"},
        "channel": {"from_chat": channel, "message_id": 42},
    }[origin]
    message_id = tg.emulator.forward_text(TOKEN, anna, "/post", origin, **source)
    raw = last_message(tg)
    conforms(raw, "Message")
    conforms(raw["forward_origin"], ORIGIN_TYPES[origin])
    assert raw["forward_origin"]["type"] == origin
    assert raw["from"]["id"] == anna and raw["chat"]["type"] == "private"
    assert raw["entities"][0]["type"] == "bot_command"
    message = (await tg.bot().get_updates())[-1].message
    assert message is not None and message.message_id == message_id
    expected = {"user": MessageOriginUser, "hidden_user": MessageOriginHiddenUser,
                "chat": MessageOriginChat, "channel": MessageOriginChannel}[origin]
    assert isinstance(message.forward_origin, expected)


async def test_an_origin_without_its_source_is_refused(tg: TgRig) -> None:
    anna = tg.member()
    channel = tg.emulator.add_channel("Новости")
    with pytest.raises(MemberActionError):
        tg.emulator.forward_text(TOKEN, anna, "/post", "user")
    with pytest.raises(MemberActionError):
        tg.emulator.forward_text(TOKEN, anna, "/post", "channel", from_chat=channel)  # no id
    with pytest.raises(MemberActionError):
        tg.emulator.forward_text(TOKEN, anna, "/post", "chat", from_chat=channel)  # a channel


async def test_an_anonymous_admin_writes_as_the_group(tg: TgRig) -> None:
    anna = tg.member()
    group = tg.emulator.add_group("Аппарат", member_ids=[anna])
    tg.emulator.add_bot_to_group(TOKEN, group)
    tg.emulator.message_on_behalf(group, "/post", signature="Пресс-служба")
    raw = last_message(tg)
    conforms(raw, "Message")
    conforms(raw["sender_chat"], "Chat")
    assert raw["sender_chat"] == raw["chat"] and raw["chat"]["type"] == "supergroup"
    assert raw["from"]["username"] == "GroupAnonymousBot" and raw["from"]["is_bot"]
    assert raw["author_signature"] == "Пресс-служба"
    message = (await tg.bot().get_updates())[-1].message
    assert message is not None and message.sender_chat is not None
    assert message.sender_chat.id == group


async def test_a_member_writes_as_a_channel(tg: TgRig) -> None:
    anna = tg.member()
    group = tg.emulator.add_group("Молодые педагоги", member_ids=[anna], supergroup=False)
    channel = tg.emulator.add_channel("Канал профкома")
    tg.emulator.add_bot_to_group(TOKEN, group)
    tg.emulator.message_on_behalf(group, "/plan", as_chat=channel)
    raw = last_message(tg)
    conforms(raw, "Message")
    assert raw["sender_chat"]["id"] == channel and raw["sender_chat"]["type"] == "channel"
    assert raw["chat"]["type"] == "group" and raw["from"]["username"] == "Channel_Bot"
    with pytest.raises(MemberActionError):
        tg.emulator.message_on_behalf(channel, "/plan")  # a channel is not a group
    with pytest.raises(MemberActionError):
        tg.emulator.message_on_behalf(group, "/plan", as_chat=group)  # nor a group a channel
