"""The staff chat in a VK community chat end to end (the emulator's chats): an admin binds it
with /bind_staff; a member's question appears there; a staff member's reply in the chat
(reply_message) goes back to the member; chatter stays in the chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.access.rules import Role
from sandbox.union import Actor
from tests.e2e.chat_support import make_press, received
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for


def vk_chat_log(rig: Rig, peer: int) -> list[dict[str, Any]]:
    return rig.sandbox.vk.chat_messages(peer)


async def in_vk_chat(rig: Rig, peer: int, marker: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        return next((m for m in reversed(vk_chat_log(rig, peer))
                     if m["from_id"] < 0 and marker in m["text"]), None)

    message: dict[str, Any] = await wait_for(found, f"{marker!r} in the VK staff chat",
                                             timeout=30)
    return message


async def vk_staff_chat(rig: Rig, admin: Actor, *others: Actor) -> int:
    vk = rig.sandbox.vk
    peer = vk.add_chat("Аппарат крайкома", [int(a.external_id) for a in (admin, *others)])
    vk.add_bot_to_chat(peer)
    vk.chat_message(peer, int(admin.external_id), "/bind_staff")
    await in_vk_chat(rig, peer, "чат сотрудников")
    return peer


async def test_a_vk_staff_chat(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin, member = rig.subscriber("vk"), rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    await rig.start()
    peer = await vk_staff_chat(rig, admin)
    await answer(member, lambda: member.say("Когда собрание?"), contains="передано в профком")
    notice = await in_vk_chat(rig, peer, "Когда собрание?")
    assert "Вопрос №" in notice["text"] and "· Telegram" in notice["text"]
    rig.sandbox.vk.chat_message(peer, int(admin.external_id), "Коллеги, кто ответит?")
    rig.sandbox.vk.chat_message(peer, int(admin.external_id), "В пятницу в 15:00",
                                reply_to_cmid=notice["conversation_message_id"])
    await received(rig, member, "В пятницу в 15:00")
    assert not any("Коллеги" in line.text for line in member.chat())
