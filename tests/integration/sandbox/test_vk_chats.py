"""Community chats in the VK emulator (sandbox.vk.chats), through vk_api as our adapter uses
it: peer ids from 2000000000, message_new from several users with from_id and peer_id, id 0
and the chat's conversation_message_id, reply_message, the bot writing to a chat it was
invited to (917 before), and a bot without access to all messages seeing only commands."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from vk_api.bot_longpoll import VkBotLongPoll

try:
    from .test_vk_support import (  # noqa: F401 (fixtures)
        VkRig,
        api_error,
        call,
        make_vk_rig,
        vk_rig,
    )
except ImportError:
    from test_vk_support import VkRig, api_error, call, make_vk_rig, vk_rig  # noqa: F401

CHATS = 2_000_000_000


def _png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(image, format="PNG")
    return image.getvalue()


async def test_users_write_in_a_chat_and_the_bot_answers(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    for user_id in (10, 11):
        emulator.register_user(user_id, f"Сотрудник {user_id}")
    peer = emulator.add_chat("Аппарат крайкома", [10, 11])
    assert peer == CHATS + 1
    api = vk_rig.session().get_api()
    [refused] = await call(api.messages.send, peer_ids=[peer], message="Привет", random_id=1)
    assert refused["error"]["code"] == 917  # not invited yet
    error = await api_error(api.messages.send, peer_id=peer, message="Привет", random_id=1)
    assert error.code == 917
    emulator.add_bot_to_chat(peer)
    lp = await asyncio.to_thread(VkBotLongPoll, vk_rig.session(), emulator.knobs.group_id, 0)
    [sent] = await call(api.messages.send, peer_ids=[peer], message="Вопрос №1", random_id=2)
    assert sent["peer_id"] == peer and sent["message_id"] == 0
    cmid = sent["conversation_message_id"]
    emulator.chat_message(peer, 10, "Коллеги, обед в 13:00")
    emulator.chat_message(peer, 11, "Ответ: взносы из зарплаты", reply_to_cmid=cmid)
    emulator.chat_message(peer, 11, "", photo=_png())
    events = await asyncio.to_thread(lp.check)
    first, second, third = (event.message for event in events)
    assert (first.from_id, first.peer_id, first.id) == (10, peer, 0)
    assert first.conversation_message_id == cmid + 1 and "reply_message" not in first
    assert (second.from_id, second.text) == (11, "Ответ: взносы из зарплаты")
    reply = second["reply_message"]
    assert (reply["conversation_message_id"], reply["text"], reply["id"]) == (cmid,
                                                                              "Вопрос №1", 0)
    assert reply["from_id"] == -emulator.knobs.group_id and reply["peer_id"] == peer
    assert third.attachments[0]["type"] == "photo"
    texts = [m["text"] for m in emulator.chat_messages(peer)]
    assert texts == ["Вопрос №1", "Коллеги, обед в 13:00", "Ответ: взносы из зарплаты", ""]


async def test_without_access_to_all_messages_the_bot_sees_commands(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(12)
    peer = emulator.add_chat("Беседа", [12])
    emulator.add_bot_to_chat(peer, reads_all=False)
    lp = await asyncio.to_thread(VkBotLongPoll, vk_rig.session(), emulator.knobs.group_id, 0)
    emulator.chat_message(peer, 12, "просто разговор")
    emulator.chat_message(peer, 12, "/bind_staff")
    events = await asyncio.to_thread(lp.check)
    assert [event.message.text for event in events] == ["/bind_staff"]
