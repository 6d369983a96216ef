"""The staff chat end to end: an admin binds a Telegram group with /bind_staff; members'
questions from Telegram, VK and Viber appear there with name, school, district and
messenger; a staff member's reply goes back to the member on their messenger and marks the
question answered; staff chatter never reaches members; an answer to a member who blocked
the bot is reported; /inbox; the morning reminder with an injected clock; the two-person
rule (the author cannot approve, another admin rejects or approves)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.access.rules import Role
from core.config import StaffSettings
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import campaigns, make_press, press, received, say
from tests.e2e.staff_support import button, in_group, staff_chat, staff_rig
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for


def _db(rig: Rig) -> sqlite3.Connection:
    return sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///"))






async def test_questions_and_answers(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, admin, helper = await staff_rig(rigs, tmp_path, db_url)
    group = await staff_chat(rig, admin, helper)
    tg, helper_id = rig.sandbox.telegram, int(helper.external_id)
    asked = ((rig.subscriber("telegram"), "Когда индексация зарплаты?", "Telegram"),
             (rig.subscriber("vk"), "Как получить материальную помощь?", "ВКонтакте"),
             (rig.subscriber("viber"), "Где взять путёвку в санаторий?", "Viber"))
    for member, question, messenger in asked:
        await answer(member, lambda m=member, q=question: m.say(q), contains="передано в профком")
        notice = await in_group(rig, group, question)
        assert "Вопрос №" in notice["text"] and f"· {messenger}" in notice["text"]
        tg.group_message(group, helper_id, f"Ответ: {question[:8]}",
                         reply_to_message_id=notice["message_id"])
        await received(rig, member, f"Ответ: {question[:8]}")
    tg.group_message(group, helper_id, "Коллеги, обед в 13:00")

    def linked() -> list[tuple[str, str]]:
        with _db(rig) as conn:
            rows = conn.execute("SELECT answered_by, staff_message_ref FROM inbound "
                                "WHERE is_feedback").fetchall()
        return rows if all(ref and ref.startswith("telegram:") for _, ref in rows) else []

    rows = await wait_for(linked, "the notices' message ids on their questions")
    assert len(rows) == 3 and all(by == f"telegram:{helper_id}" for by, _ in rows)
    inbox = await _send_and_wait(rig, group, helper_id, "/inbox", "Вопросов без ответа нет")
    assert inbox
    assert not any("обед" in line.text for m, _, _ in asked for line in m.chat())


async def _send_and_wait(rig: Rig, group: int, user: int, text: str, marker: str
                         ) -> dict[str, Any]:
    rig.sandbox.telegram.group_message(group, user, text)
    return await in_group(rig, group, marker)


async def test_blocked_member_and_reminder(rigs: list[Rig], tmp_path: Path, db_url: str
                                           ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin = rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    await rig.start()
    group = await staff_chat(rig, admin)
    member = rig.subscriber("telegram")
    await answer(member, lambda: member.say("Вопрос про отпуск"), contains="передано в профком")
    notice = await in_group(rig, group, "Вопрос про отпуск")
    # Two mornings later at 09:30 local time: the question is over a day old.
    assert rig.suite is not None and rig.suite.chat is not None
    desk = rig.suite.chat.ctx.desk
    assert desk is not None
    morning = datetime.now(desk.tz).replace(hour=9, minute=30) + timedelta(days=2)
    desk.clock = lambda: morning.astimezone(UTC)
    reminder = await in_group(rig, group, "Доброе утро")
    assert "Вопрос про отпуск" in reminder["text"]
    member.block()
    await wait_for(lambda: _status(rig, member) == "blocked", "the block to be recorded")
    rig.sandbox.telegram.group_message(group, int(admin.external_id), "Отпуск по графику",
                                       reply_to_message_id=notice["message_id"])
    await in_group(rig, group, "Ответ не доставлен: участник заблокировал бота")


def _status(rig: Rig, member: Actor) -> str:
    with _db(rig) as conn:
        row = conn.execute("SELECT status FROM contacts WHERE channel = ? AND external_id = ?",
                           (member.platform, member.external_id)).fetchone()
    return str(row[0]) if row else ""


async def test_two_person_rule(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    rig.settings = rig.settings.model_copy(update={"staff": StaffSettings(two_person_rule=True)})
    admin, secretary = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    await make_press(rig, secretary)
    await rig.start()
    group = await staff_chat(rig, admin, secretary)
    for verdict in ("Отклонить", "Одобрить"):
        await say(secretary, "/post", contains="Пришлите текст")
        await say(secretary, f"Собрание ({verdict})", contains="Кому отправить")
        await press(secretary, "Весь регион", contains="Когда отправить")
        await press(secretary, "Сейчас", contains="Отправить?")
        await press(secretary, "✅ Отправить", contains="на одобрение")
        assert await campaigns(rig) == [] or verdict == "Одобрить"
        request = await in_group(rig, group, f"Собрание ({verdict})")
        approve = button(request, "Одобрить")
        rig.sandbox.telegram.press_button(TELEGRAM_TOKEN, int(secretary.external_id),
                                          request["message_id"], approve, chat_id=group)
        await in_group(rig, group, "Свою рассылку одобряет другой")
        rig.sandbox.telegram.press_button(TELEGRAM_TOKEN, int(admin.external_id),
                                          request["message_id"], button(request, verdict),
                                          chat_id=group)
        told = "одобрили" if verdict == "Одобрить" else "отклонили"
        await received(rig, secretary, f"Вашу рассылку {told}")
    ((campaign_id, *_),) = await campaigns(rig)
    with _db(rig) as conn:
        approved = conn.execute("SELECT approved_by FROM campaigns WHERE id = ?",
                                (campaign_id,)).fetchone()[0]
        actions = {a for (a,) in conn.execute("SELECT action FROM audit")}
    assert approved == f"telegram:{admin.external_id}"
    assert {"chat.approve", "chat.reject"} <= actions

