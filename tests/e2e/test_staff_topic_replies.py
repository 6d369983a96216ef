"""The bot's own replies to staff in a forum staff chat land in the member's topic where the
staff member wrote, not in the general one (issue 14): «уже ответили» after a second reply
to a notice, «не доставлен» when the member's messenger refused the answer (the desk's
notice, core.staff.desk.tell), «участник заблокировал бота» for a member known to have
blocked the bot, and the answer to a command such as /inbox written in the topic. Through the
sandbox's forum supergroup."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import received
from tests.e2e.staff_support import in_group, staff_chat, staff_rig
from tests.e2e.subs_support import Rig, answer, wait_for
from tests.e2e.test_staff_topics import THANKS


async def _notice(rig: Rig, group: int, member: Actor, question: str) -> dict[str, Any]:
    await answer(member, lambda: member.say(question), contains=THANKS)
    notice = await in_group(rig, group, question)
    assert notice.get("message_thread_id"), notice  # in the member's topic
    return notice


async def _bot_says(rig: Rig, group: int, marker: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
        return next((m for m in log if m["from"]["is_bot"] and marker in (m.get("text") or "")),
                    None)

    message: dict[str, Any] = await wait_for(found, f"{marker!r} in the staff chat", timeout=30)
    return message


async def test_the_bots_replies_go_to_the_members_topic(rigs: list[Rig], tmp_path: Path,
                                                        db_url: str) -> None:
    rig, admin, helper = await staff_rig(rigs, tmp_path, db_url)
    group = await staff_chat(rig, admin, helper)
    tg = rig.sandbox.telegram
    tg.make_forum(group)
    admin_id, helper_id = int(admin.external_id), int(helper.external_id)
    first, second = rig.subscriber("telegram"), rig.subscriber("telegram")

    notice = await _notice(rig, group, first, "Когда выплатят отпускные?")
    topic, number = notice["message_thread_id"], notice["text"].split("№")[1].split()[0]
    tg.topic_message(group, helper_id, topic, "За три дня до отпуска",
                     reply_to_message_id=notice["message_id"])
    await received(rig, first, "За три дня до отпуска")
    tg.topic_message(group, admin_id, topic, "Уточню в бухгалтерии",
                     reply_to_message_id=notice["message_id"])
    already = await _bot_says(rig, group, f"На вопрос №{number} уже ответили")
    assert already.get("message_thread_id") == topic
    tg.topic_message(group, helper_id, topic, "/inbox")  # a command in the topic: answered there
    listed = await _bot_says(rig, group, "без ответа")
    assert listed.get("message_thread_id") == topic

    tg.deactivate_user(int(first.external_id))  # the next answer is refused, unannounced
    tg.topic_message(group, helper_id, topic, "Бухгалтерия подтвердила")
    refused = await _bot_says(rig, group, f"Ответ на вопрос №{number} не доставлен")
    assert refused.get("message_thread_id") == topic

    notice = await _notice(rig, group, second, "Можно ли перенести отпуск?")
    theirs = notice["message_thread_id"]
    assert theirs != topic
    second.block()
    await wait_for(lambda: _blocked(rig, second), "the block to be recorded")
    tg.topic_message(group, helper_id, theirs, "Можно, по заявлению")
    blocked = await _bot_says(rig, group, "участник заблокировал бота (вопрос №")
    assert blocked.get("message_thread_id") == theirs
    general = [m for m in tg.chat_log(TELEGRAM_TOKEN, group) if m["from"]["is_bot"]
               and not m.get("message_thread_id") and "ответ" in (m.get("text") or "").lower()]
    assert not [m for m in general if "не доставлен" in m["text"] or "уже ответили" in m["text"]]


def _blocked(rig: Rig, member: Actor) -> bool:
    with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
        row = conn.execute("SELECT status FROM contacts WHERE channel = ? AND external_id = ?",
                           (member.platform, member.external_id)).fetchone()
    return bool(row) and row[0] == "blocked"
