"""Forum topics in the staff chat end to end: the bound Telegram staff group is a forum
supergroup; members asking on Telegram and on VK get a topic each, named after them, and
every later question of theirs lands in it; a staff member who simply writes in a topic
answers the member (their latest open question is marked answered); a deleted topic is
made again and the question posted there again; two first messages sent at once make one
topic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.access.rules import Role
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import make_press, received
from tests.e2e.staff_support import in_group, staff_chat
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for

THANKS = "передано в профком"


async def _ask(rig: Rig, group: int, member: Actor, question: str) -> int:
    """The member asks; the thread of the topic its notice lands in."""
    await answer(member, lambda: member.say(question), contains=THANKS)
    notice = await in_group(rig, group, question)
    assert "напишите в этой теме" in notice["text"]
    return int(notice["message_thread_id"])


def _topics_named(rig: Rig, group: int, member: Actor) -> list[int]:
    topics = rig.sandbox.telegram.topics(group)
    return [thread for thread, name in topics.items()
            if name.startswith(member.person.full_name)]


async def _forum(rig: Rig) -> tuple[int, Actor]:
    """The staff forum, bound by an admin; the staff member who answers there."""
    admin, helper = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    await make_press(rig, helper, Role.STAFF)
    await rig.start()
    group = await staff_chat(rig, admin, helper)
    rig.sandbox.telegram.make_forum(group)
    return group, helper


async def test_a_topic_per_member_answered_by_writing_in_it(rigs: list[Rig], tmp_path: Path,
                                                           db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    group, helper = await _forum(rig)
    tg, on_telegram, on_vk = rig.sandbox.telegram, rig.subscriber("telegram"), rig.subscriber("vk")
    first = await _ask(rig, group, on_telegram, "Когда индексация зарплаты?")
    theirs = await _ask(rig, group, on_vk, "Как получить матпомощь?")
    assert first != theirs
    assert _topics_named(rig, group, on_telegram) == [first]
    assert _topics_named(rig, group, on_vk) == [theirs]
    assert await _ask(rig, group, on_telegram, "И про отпуск ещё") == first  # the same topic
    tg.topic_message(group, int(helper.external_id), first, "Индексация с 1 января")
    await received(rig, on_telegram, "Индексация с 1 января")
    tg.topic_message(group, int(helper.external_id), theirs, "Заявление в профком школы")
    await received(rig, on_vk, "Заявление в профком школы")
    tg.group_message(group, int(helper.external_id), "Коллеги, обед в 13:00")  # general topic

    def answered() -> dict[str, str | None]:
        with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
            rows = dict(conn.execute("SELECT text, answered_by FROM inbound WHERE is_feedback"))
        return rows if sum(1 for by in rows.values() if by) == 2 else {}

    # What is written in a topic answers the member's latest open question.
    staff = f"telegram:{helper.external_id}"
    assert await wait_for(answered, "the latest questions marked answered") == {
        "Когда индексация зарплаты?": None, "И про отпуск ещё": staff,
        "Как получить матпомощь?": staff}
    assert not any("обед" in line.text for m in (on_telegram, on_vk) for line in m.chat())


async def test_a_deleted_topic_is_made_again_and_the_question_posted_again(
    rigs: list[Rig], tmp_path: Path, db_url: str
) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    group, helper = await _forum(rig)
    member = rig.subscriber("vk")
    old = await _ask(rig, group, member, "Первый вопрос про стаж")
    rig.sandbox.telegram.delete_topic(group, old)
    new = await _ask(rig, group, member, "Второй вопрос про стаж")
    assert new != old and _topics_named(rig, group, member) == [new]
    rig.sandbox.telegram.topic_message(group, int(helper.external_id), new, "Стаж считается")
    await received(rig, member, "Стаж считается")


async def test_two_first_messages_at_once_make_one_topic(rigs: list[Rig], tmp_path: Path,
                                                          db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    group, _ = await _forum(rig)
    member = rig.subscriber("telegram")
    member.say("Вопрос первый")
    member.say("Вопрос второй")
    notices = [await in_group(rig, group, "Вопрос первый"),
               await in_group(rig, group, "Вопрос второй")]
    assert notices[0]["message_thread_id"] == notices[1]["message_thread_id"]
    assert _topics_named(rig, group, member) == [notices[0]["message_thread_id"]]
    log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
    assert [m.get("forum_topic_created") is not None for m in log].count(True) == 1
