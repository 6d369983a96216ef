"""Edits carried over (issue 14's pitfall "edits not carried over"), through the sandbox: a
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
from tests.e2e.chat_support import make_press, received
from tests.e2e.subs_support import POLLING, Rig, answer, texts_of, wait_for
from tests.e2e.test_staff_chat import _in_group, _staff_chat


async def _asked_and_answered(rig: Rig, group: int, helper: int, member: Actor,
                              question: str, reply: str) -> int:
    """The member's question answered by `helper`; the staff message's id."""
    await answer(member, lambda: member.say(question), contains="передано в профком")
    notice = await _in_group(rig, group, question)
    staff_message = rig.sandbox.telegram.group_message(
        group, helper, reply, reply_to_message_id=notice["message_id"])
    await received(rig, member, reply)
    return staff_message


def _with(member: Actor, marker: str) -> list[str]:
    return [text for text in texts_of(member) if marker in text]


async def test_edited_answers_and_questions(rigs: list[Rig], tmp_path: Path, db_url: str
                                            ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin, helper = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    await make_press(rig, helper, Role.STAFF)
    await rig.start()
    group, helper_id, tg = await _staff_chat(rig, admin, helper), int(helper.external_id), \
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
    await _in_group(rig, group, "исправил своё сообщение: Когда отпуск летом?")
    assert len(member.chat()) == before + 1  # one thanks, for the first version only

    await rig.restart()  # the updates confirmed before are not carried over again
    await _asked_and_answered(rig, group, helper_id, members["viber"], "Ещё вопрос",
                              "Ответ после перезапуска")
    assert len(_with(members["viber"], "Исправлено:")) == 1
    notices = [m for m in tg.chat_log(TELEGRAM_TOKEN, group)
               if "исправил своё сообщение" in (m.get("text") or "")]
    assert len(notices) == 1
