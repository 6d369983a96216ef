"""Edits carried over (issue 14's pitfall "edits not carried over"), through the sandbox
(Telegram edited_message, VK message_edit): a
staff member edits, in the Telegram staff chat, an answer already sent — the Telegram and
the VK member's copy is edited in place (no second message), the Viber member gets
«Исправлено: …»; a member edits a question already in the staff chat — the staff get a
follow-up saying so, and the member no second thanks. A restart changes nothing: each edit
is carried over exactly once (the inbox's dedup of the platform's update)."""

from __future__ import annotations

from pathlib import Path

from core.access.rules import Role
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.telegram.member_edits import edit_text
from sandbox.union import Actor
from sandbox.vk.member_edits import edit_message
from tests.e2e.chat_support import make_press, received
from tests.e2e.staff_support import in_group, staff_chat, staff_rig
from tests.e2e.subs_support import POLLING, Rig, answer, texts_of, wait_for
from tests.e2e.test_staff_chat_vk import in_vk_chat, vk_staff_chat


async def _asked_and_answered(rig: Rig, group: int, helper: int, member: Actor,
                              question: str, reply: str) -> int:
    """The member's question answered by `helper`; the staff message's id."""
    await answer(member, lambda: member.say(question), contains="передано в профком")
    notice = await in_group(rig, group, question)
    staff_message = rig.sandbox.telegram.group_message(
        group, helper, reply, reply_to_message_id=notice["message_id"])
    await received(rig, member, reply)
    return staff_message


def _with(member: Actor, marker: str) -> list[str]:
    return [text for text in texts_of(member) if marker in text]


async def test_edited_answers_and_questions(rigs: list[Rig], tmp_path: Path, db_url: str
                                            ) -> None:
    rig, admin, helper = await staff_rig(rigs, tmp_path, db_url)
    group, helper_id, tg = await staff_chat(rig, admin, helper), int(helper.external_id), \
        rig.sandbox.telegram
    members = {p: rig.subscriber(p) for p in ("telegram", "vk", "viber")}
    sent = {p: await _asked_and_answered(rig, group, helper_id, m, f"Вопрос из {p}",
                                         f"Собрание в 15:00 ({p})")
            for p, m in members.items()}
    lines = {p: len(m.chat()) for p, m in members.items()}
    for platform, message_id in sent.items():
        edit_text(tg, group, helper_id, message_id, f"Собрание в 16:00 ({platform})")
    for platform in ("telegram", "vk"):
        member = members[platform]
        await wait_for(lambda m=member, p=platform: _with(m, f"16:00 ({p})"),
                       f"the {platform} member's copy edited")
        assert not _with(member, f"15:00 ({platform})")  # changed in place
        assert len(member.chat()) == lines[platform]
    correction = await received(rig, members["viber"], "16:00 (viber)")
    assert correction.text.startswith("Исправлено:") and _with(members["viber"], "15:00")

    member = members["telegram"]
    before = len(member.chat())
    asked = tg.send_text(TELEGRAM_TOKEN, int(member.external_id), "Когда отпуск?")
    await received(rig, member, "передано в профком")
    edit_text(tg, int(member.external_id), int(member.external_id), asked,
              "Когда отпуск летом?")
    await in_group(rig, group, "исправил своё сообщение: Когда отпуск летом?")
    assert len(member.chat()) == before + 1  # one thanks, for the first version only

    await rig.restart()  # the updates confirmed before are not carried over again
    await _asked_and_answered(rig, group, helper_id, members["viber"], "Ещё вопрос",
                              "Ответ после перезапуска")
    assert len(_with(members["viber"], "Исправлено:")) == 1
    notices = [m for m in tg.chat_log(TELEGRAM_TOKEN, group)
               if "исправил своё сообщение" in (m.get("text") or "")]
    assert len(notices) == 1


async def test_edits_in_a_vk_staff_chat(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    """VK's message_edit: a staff member's edited answer in the community chat edits the
    Telegram member's copy; a VK member's edited question reaches the chat as a follow-up."""
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin, helper = rig.subscriber("vk"), rig.subscriber("vk")
    await make_press(rig, admin, Role.ADMIN)
    await make_press(rig, helper, Role.STAFF)
    await rig.start()
    vk, helper_id = rig.sandbox.vk, int(helper.external_id)
    peer = await vk_staff_chat(rig, admin, helper)
    member = rig.subscriber("telegram")
    await answer(member, lambda: member.say("Когда собрание?"), contains="передано в профком")
    notice = await in_vk_chat(rig, peer, "Когда собрание?")
    reply = vk.chat_message(peer, helper_id, "В пятницу в 15:00",
                            reply_to_cmid=notice["conversation_message_id"])
    await received(rig, member, "В пятницу в 15:00")
    lines = len(member.chat())
    edit_message(vk.world, peer, helper_id, reply.conversation_message_id, "В пятницу в 16:00")
    await wait_for(lambda: _with(member, "В пятницу в 16:00"), "the copy edited")
    assert not _with(member, "15:00") and len(member.chat()) == lines

    on_vk = rig.subscriber("vk")
    before = len(on_vk.chat())
    asked = vk.write(int(on_vk.external_id), "Где взять бланк?")
    await received(rig, on_vk, "передано в профком")
    edit_message(vk.world, int(on_vk.external_id), int(on_vk.external_id),
                 asked.conversation_message_id, "Где взять бланк заявления на отпуск?")
    await in_vk_chat(rig, peer, "исправил своё сообщение: Где взять бланк заявления")
    assert len(on_vk.chat()) == before + 1  # no second thanks
