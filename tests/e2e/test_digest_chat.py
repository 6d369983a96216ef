"""The monthly Informational Digest end to end through the sandbox (issue 14, item 5), with
the digest jobs' clock injected: two staff members send /отчёт in chat — on Telegram a text
and a file, on VK a text, then a photo and a document in one message — and a third (on
Viber) does not; on the 25th the reminder reaches only the third; on the 1st the digest PDF
is built and posted in the Telegram staff chat with its approval buttons; the PDF
downloaded from the chat holds every report, the month's campaign with its reach figures
and the poll closed that month with its results; «Одобрить» shows the members' message and
the figures first (nothing sent yet), and only «Разослать членам профсоюза» makes the
campaign, which reaches members on every messenger.

The reports are filed for the month of the real clock (/отчёт asks no date), so the jobs'
clock is moved to the 25th and then the 1st of the month after *that* month."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image
from pypdf import PdfReader

from core.access.rules import Role
from core.digest.content import union_of
from core.digest.month import Month
from core.polls.closing import close_poll
from core.reach.report import reach_report
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import LEAFLET, make_press, press, received, say
from tests.e2e.poll_support import (
    YOUNG_UNION,
    got_poll,
    poll_recorded,
    start_poll,
    tallies,
    young_teacher,
)
from tests.e2e.staff_support import button, staff_chat
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for

TG_REPORT = "Провела семинар для председателей первичных организаций."
VK_REPORT = "Подготовил материалы к заседанию трёхсторонней комиссии."
PHOTO_WORDS = "Фотографии со встречи с молодыми педагогами."
VK_FILE = "протокол встречи.pdf"
QUESTION = "Какая дата форума молодых педагогов удобнее?"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 100), (47, 109, 181)).save(out, "PNG")
    return out.getvalue()


def _db(rig: Rig) -> sqlite3.Connection:
    return sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///"))


async def _report_on_telegram(rig: Rig, staff: Actor) -> None:
    await say(staff, "/отчёт", contains="Пришлите текст отчёта")
    await say(staff, TG_REPORT, contains="Добавлено (1)")
    await answer(staff, lambda: rig.sandbox.telegram.send_document(
        TELEGRAM_TOKEN, int(staff.external_id), "план работы.pdf", LEAFLET),
        contains="Добавлено (2)")
    await say(staff, "/готово", contains="Сохранить его")
    await press(staff, "✅ Сохранить", contains="сохранён")


async def _report_on_vk(rig: Rig, staff: Actor) -> None:
    await say(staff, "/отчёт", contains="Пришлите текст отчёта")
    await say(staff, VK_REPORT, contains="Добавлено (1)")
    # One VK message with a photo and a document: both files go into the report.
    await answer(staff, lambda: rig.sandbox.vk.send_files(
        int(staff.external_id), photos=[_png()], documents=[(VK_FILE, LEAFLET)],
        text=PHOTO_WORDS), contains="Добавлено (4)")
    await say(staff, "/готово", contains="Сохранить его")
    await press(staff, "✅ Сохранить", contains="сохранён")


async def _month_of_work(rig: Rig) -> tuple[int, int]:
    """A campaign sent this month and a poll closed this month with one vote."""
    campaign_id = await rig.campaign("Собрание профактива в пятницу в 15:00")
    await rig.sent(campaign_id)
    voter = young_teacher(rig, "telegram")
    poll_id = await start_poll(rig, QUESTION, timedelta(hours=1),
                               ("Десятое декабря", "Семнадцатое декабря"))
    await got_poll(voter, QUESTION)
    await poll_recorded(rig, voter, poll_id)
    voter.vote("Семнадцатое декабря")
    await tallies(rig, poll_id, voters=1)
    assert await close_poll(rig.engine, poll_id, "e2e", datetime.now(UTC))
    return campaign_id, poll_id


def _in_chat(rig: Rig, group: int, marker: str, *, document: bool = False) -> Any:
    async def found() -> dict[str, Any] | None:
        log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
        return next((m for m in reversed(log)
                     if marker in (m.get("text") or m.get("caption") or "")
                     and (not document or "document" in m)), None)

    return wait_for(found, f"{marker!r} in the staff chat", timeout=60)


async def _download(rig: Rig, file_id: str) -> bytes:
    """The document as a bot gets it: getFile, then the file's path (Bot API)."""
    base = rig.settings.telegram.api_base if rig.settings.telegram else ""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/bot{TELEGRAM_TOKEN}/getFile",
                            params={"file_id": file_id}) as got:
            path = (await got.json())["result"]["file_path"]
        async with http.get(f"{base}/file/bot{TELEGRAM_TOKEN}/{path}") as got:
            return await got.read()


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in pages))


def _digest_campaigns(rig: Rig) -> list[tuple[int, str]]:
    with _db(rig) as conn:
        return conn.execute("SELECT id, approved_by FROM campaigns WHERE kind = 'digest'"
                            ).fetchall()


async def _check_pdf(rig: Rig, pdf: bytes, campaign_id: int, poll_id: int,
                     authors: list[str]) -> None:
    text = _text(pdf)
    for words in (TG_REPORT, VK_REPORT, PHOTO_WORDS, "план работы.pdf", VK_FILE, *authors):
        assert words in text, words
    reach = await reach_report(rig.reader, campaign_id)
    assert reach is not None
    total = reach.total
    assert f"№{campaign_id}" in text
    assert f"{total.counts['targeted']} {total.reached} {100 * total.share:.0f} %" in text
    assert f"Опрос №{poll_id}: {QUESTION}" in text
    assert "Семнадцатое декабря 1 100 %" in text and "Десятое декабря 0 0 %" in text


async def _staff(rig: Rig) -> tuple[Actor, Actor, Actor, Actor]:
    admin = rig.subscriber("telegram")
    on_telegram, on_vk, on_viber = (rig.subscriber(p) for p in ("telegram", "vk", "viber"))
    await make_press(rig, admin, Role.ADMIN)
    for staff in (on_telegram, on_vk, on_viber):
        await make_press(rig, staff, Role.STAFF)
    return admin, on_telegram, on_vk, on_viber


def _names(rig: Rig, *staff: Actor) -> list[str]:
    with _db(rig) as conn:
        return [str(conn.execute(
            "SELECT p.full_name FROM contacts c JOIN people p ON p.id = c.person_id "
            "WHERE c.channel = ? AND c.external_id = ?",
            (a.platform, a.external_id)).fetchone()[0]) for a in staff]


async def test_the_monthly_digest_in_the_staff_chat(rigs: list[Rig], tmp_path: Path,
                                                    db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, YOUNG_UNION)
    rigs.append(rig)
    admin, on_telegram, on_vk, on_viber = await _staff(rig)
    suite = await rig.start()
    group = await staff_chat(rig, admin)
    await _report_on_telegram(rig, on_telegram)
    await _report_on_vk(rig, on_vk)
    campaign_id, poll_id = await _month_of_work(rig)
    assert suite.digest is not None
    _union, tz = await union_of(rig.reader, rig.settings.scheduler.timezone)
    month = Month.of(datetime.now(tz))
    reminder_at = datetime(month.year, month.month, 25, 10, 1, tzinfo=tz)
    suite.digest.clock = lambda: reminder_at
    await suite.digest.tick()
    await received(rig, on_viber, "пришлите отчёт о работе")
    for reported in (on_telegram, on_vk, admin):
        assert not any("Напоминание" in line.text for line in reported.chat())

    first = month.next()
    suite.digest.clock = lambda: datetime(first.year, first.month, 1, 9, 5, tzinfo=tz)
    await suite.digest.tick()
    posted = await _in_chat(rig, group, f"Информационный сборник за {month.words}",
                            document=True)
    pdf = await _download(rig, posted["document"]["file_id"])
    await _check_pdf(rig, pdf, campaign_id, poll_id, _names(rig, on_telegram, on_vk))
    await _approve_and_send(rig, group, admin, posted, month)


async def _approve_and_send(rig: Rig, group: int, admin: Actor, posted: dict[str, Any],
                            month: Month) -> None:
    tg, admin_id = rig.sandbox.telegram, int(admin.external_id)
    tg.press_button(TELEGRAM_TOKEN, admin_id, posted["message_id"],
                    button(posted, "✅ Одобрить"), chat_id=group)
    shown = await _in_chat(rig, group, "Так его получат члены профсоюза")
    members_copy = await _in_chat(rig, group, "работа аппарата, рассылки и опросы",
                                  document=True)
    assert members_copy["message_id"] < shown["message_id"]
    assert "• Telegram:" in shown["text"] and "• ВКонтакте:" in shown["text"]
    assert _digest_campaigns(rig) == []  # the preview sends nothing to members
    tg.press_button(TELEGRAM_TOKEN, admin_id, shown["message_id"],
                    button(shown, "📨 Разослать членам профсоюза"), chat_id=group)
    await _in_chat(rig, group, "уже отправляется")
    ((digest_id, approved_by),) = _digest_campaigns(rig)
    assert approved_by == f"telegram:{admin_id}"
    for platform in ("telegram", "vk", "viber"):
        await received(rig, rig.subscriber(platform), f"Информационный сборник за {month.words}")
    # A second press changes nothing: the digest goes once.
    tg.press_button(TELEGRAM_TOKEN, admin_id, shown["message_id"],
                    button(shown, "📨 Разослать членам профсоюза"), chat_id=group)
    await _in_chat(rig, group, f"уже разослан: рассылка №{digest_id}")
    assert len(_digest_campaigns(rig)) == 1
