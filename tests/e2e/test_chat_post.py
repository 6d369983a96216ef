"""The press secretary's /post dialogue through the sandbox, end to end: Telegram with a
leaflet (document + caption), VK with a text, a scheduled post, and a dialogue that
survives a restart of `rupor run`."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.chat_support import (
    campaigns,
    make_press,
    press,
    press_rig,
    received,
    say,
    send_leaflet,
)
from tests.e2e.subs_support import POLLING, Rig, answer


async def test_post_a_leaflet_on_telegram(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, member = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, secretary)
    await rig.start()
    await say(secretary, "/post", contains="Пришлите текст")
    before = len(secretary.chat())
    asked = await answer(secretary, lambda: send_leaflet(rig, secretary),
                         contains="Кому отправить")
    assert any(b.label.startswith("Весь регион — ") for b in asked.buttons)
    await press(secretary, "Весь регион", contains="Когда отправить")
    summary = await press(secretary, "Сейчас", contains="Отправить?")
    assert "Telegram:" in summary.text and "Без доступного мессенджера" in summary.text
    preview = [line for line in secretary.chat()[before:] if line.media]
    assert len(preview) == 1 and preview[0].media == "document листок.pdf"
    assert preview[0].text == "Листок за май: индексация зарплаты"
    done = await press(secretary, "✅ Отправить", contains="Рассылка №")
    assert "создана" in done.text
    got = await received(rig, member, "Листок за май")
    assert (got.media, got.text) == (preview[0].media, preview[0].text)  # as previewed
    ((_, status, audience, run_at, cron),) = await campaigns(rig)
    assert status in ("running", "done") and (audience, run_at, cron) == ("all", None, None)


async def test_post_a_text_on_vk(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, member = rig.subscriber("vk"), rig.subscriber("vk")
    await make_press(rig, secretary)
    await rig.start()
    await say(secretary, "/пост", contains="Пришлите текст")
    await say(secretary, "Собрание в пятницу в 15:00", contains="Кому отправить")
    await press(secretary, "Весь регион", contains="Когда отправить")
    summary = await press(secretary, "Сейчас", contains="Отправить?")
    assert "ВКонтакте:" in summary.text
    assert any(line.text == "Собрание в пятницу в 15:00" for line in secretary.chat())
    await press(secretary, "✅ Отправить", contains="Рассылка №")
    await received(rig, member, "Собрание в пятницу в 15:00")


async def test_a_scheduled_post_and_a_restart_mid_dialogue(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, secretary = await press_rig(rigs, tmp_path, db_url, "telegram")
    await say(secretary, "/post", contains="Пришлите текст")
    await say(secretary, "Отчётное собрание", contains="Кому отправить")
    await rig.restart()  # the draft lives in the database
    await press(secretary, "Молодые педагоги", contains="Когда отправить")
    wrong = await say(secretary, "вчера в 25:00", contains="Напишите время ещё раз")
    assert "Например" in wrong.text or "например" in wrong.text
    summary = await say(secretary, "завтра в 10:00", contains="Отправить?")
    assert "завтра" in summary.text
    done = await press(secretary, "✅ Отправить", contains="Рассылка №")
    assert "уйдёт завтра" in done.text
    ((_, status, audience, run_at, cron),) = await campaigns(rig)
    assert (status, audience, cron) == ("scheduled", "role:young_teacher", None)
    assert run_at is not None

