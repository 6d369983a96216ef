"""The press secretary's /poll dialogue through the sandbox (issue 15, item 1's chat half):
question, options, single choice, named, young teachers, a deadline in Russian, no
reminder, now; the preview is the native poll itself; young teachers get it and vote;
/results shows the live tallies and the chart; at closing the press secretary and (as
chosen) the members get the results and the Telegram poll is stopped; a member's /poll is
refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.polls.closing import close_poll
from core.storage.models import Audit
from tests.e2e.chat_support import campaigns, make_press, press, received, say
from tests.e2e.poll_support import YOUNG_UNION, outsider, polls, tallies, young_teacher
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for


async def test_a_poll_from_the_telegram_chat(rigs: list[Rig], tmp_path: Path, db_url: str
                                             ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, YOUNG_UNION)
    rigs.append(rig)
    secretary, member = rig.subscriber("telegram"), young_teacher(rig, "telegram")
    await make_press(rig, secretary)
    await rig.start()
    await say(secretary, "/опрос", contains="Напишите вопрос")
    await say(secretary, "Какая дата форума удобнее?", contains="Варианты ответа")
    wrong = await say(secretary, "10 декабря", contains="Вариантов ответа должно быть")
    assert "а их 1" in wrong.text
    await say(secretary, "10 декабря\n17 декабря", contains="Сколько вариантов")
    await press(secretary, "Один вариант", contains="анонимный или именной")
    asked = await press(secretary, "Именной", contains="Кого спрашиваем")
    assert asked.pressable[0].label.startswith("Молодые педагоги — ")
    await press(secretary, "Молодые педагоги", contains="До какого времени")
    await say(secretary, "каждый понедельник в 10:00", contains="Нужен один срок")
    await say(secretary, "завтра в 18:00", contains="Напомнить")
    await press(secretary, "Без напоминания", contains="Когда отправить")
    before = len(secretary.chat())
    summary = await press(secretary, "Сейчас", contains="Так опрос увидят")
    assert "Telegram:" in summary.text and "Итоги участникам: нет" in summary.text
    shown = [line for line in secretary.chat()[before:] if line.options]
    assert [b.label for b in shown[0].options] == ["10 декабря", "17 декабря"]
    toggled = await press(secretary, "📣 Сообщить итоги", contains="Итоги участникам: да")
    done = await press(secretary, "✅ Создать опрос", contains="Опрос №", line=toggled)
    assert "создан и уже отправляется" in done.text
    (poll,) = await polls(rig)
    assert (poll.audience, poll.announce_members) == ("role:young_teacher", True)
    assert poll.created_by == f"telegram:{secretary.external_id}"

    await wait_for(lambda: any(line.options for line in member.chat()), "the poll", timeout=30)
    member.vote("17 декабря")
    found = await tallies(rig, poll.id, voters=1)
    assert found.counts == (0, 1)
    said = await answer(secretary, lambda: secretary.say(f"/results {poll.id}"),
                        contains="Проголосовали 1 из")
    assert "17 декабря — 1" in said.text
    await wait_for(lambda: any(line.media == "photo" for line in secretary.chat()),
                   "the chart as a photo")
    async with rig.reader.connect() as conn:
        audits = (await conn.execute(select(Audit.action, Audit.result)
                                     .where(Audit.action == "chat.poll"))).all()
    assert [tuple(a) for a in audits] == [("chat.poll", "ok")]

    await close_poll(rig.engine, poll.id, "cli", datetime.now(UTC))  # rupor poll close
    told = await received(rig, secretary, "Завершён")
    assert f"Опрос №{poll.id}" in told.text and f"/results {poll.id}" in told.text
    await received(rig, member, "Итоги опроса")  # created with «Сообщить итоги участникам»
    line = next(line for line in member.chat() if line.poll_id)
    await wait_for(lambda: rig.sandbox.telegram.poll(str(line.poll_id))["is_closed"],
                   "the member's poll stopped")


async def test_a_member_may_not_start_a_poll(rigs: list[Rig], tmp_path: Path, db_url: str
                                             ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, YOUNG_UNION)
    rigs.append(rig)
    member = outsider(rig, "telegram")
    await rig.start()
    refused = await answer(member, lambda: member.say("/poll"), contains="")
    assert "Напишите вопрос" not in refused.text
    assert await polls(rig) == []


async def test_a_scheduled_anonymous_poll_from_vk(rigs: list[Rig], tmp_path: Path, db_url: str
                                                  ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, YOUNG_UNION)
    rigs.append(rig)
    secretary = rig.subscriber("vk")
    await make_press(rig, secretary)
    await rig.start()
    await say(secretary, "/poll", contains="Напишите вопрос")
    await say(secretary, "Какие темы взять для школы молодого педагога?",
              contains="Варианты ответа")
    await say(secretary, "Цифровые сервисы\nПраво\nПсихология", contains="Сколько вариантов")
    await press(secretary, "Несколько вариантов", contains="анонимный или именной")
    await press(secretary, "Анонимный", contains="Кого спрашиваем")
    await press(secretary, "Весь регион", contains="До какого времени")
    await say(secretary, "послезавтра в 18:00", contains="Напомнить")
    await press(secretary, "Без напоминания", contains="Когда отправить")
    summary = await say(secretary, "завтра в 10:00", contains="Так опрос увидят")
    assert "ВКонтакте:" in summary.text and "анонимный" in summary.text
    done = await press(secretary, "✅ Создать опрос", contains="Опрос №")
    assert "уйдёт завтра" in done.text
    (poll,) = await polls(rig)
    assert (poll.anonymous, poll.allows_multiple, poll.audience) == (True, True, "all")
    ((_, status, audience, run_at, _),) = await campaigns(rig)
    assert (status, audience) == ("scheduled", "all") and run_at is not None
