"""Files in staff answers end to end (issue 14, item 2): a staff member replies in the
Telegram staff chat with a photo or a document; the member gets it on their own messenger —
a Telegram member by the same file_id (nothing downloaded or uploaded again), a VK member as
a photo uploaded to their dialog, a Viber member from our own /media URL, then the text."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from PIL import Image

from sandbox.telegram.group_files import group_file
from sandbox.union import Actor, ChatLine
from tests.e2e.chat_support import LEAFLET
from tests.e2e.staff_support import in_group, staff_chat, staff_rig
from tests.e2e.subs_support import Rig, answer, wait_for


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def _ask(rig: Rig, group: int, member: Actor, question: str) -> int:
    await answer(member, lambda: member.say(question), contains="передано в профком")
    notice = await in_group(rig, group, question)
    return int(notice["message_id"])


async def _got(member: Actor, media: str, text: str) -> list[ChatLine]:
    def found() -> list[ChatLine]:
        lines = member.chat()
        with_file = [line for line in lines if line.media and line.media.startswith(media)]
        with_text = [line for line in lines if text in line.text]
        return [*with_file, *with_text] if with_file and with_text else []

    got: list[ChatLine] = await wait_for(found, f"{member} to get {media} and {text!r}",
                                         timeout=30)
    return got


def _stored_files(rig: Rig) -> int:
    with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM media").fetchone()[0])


async def test_photo_and_document_answers(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, admin, helper = await staff_rig(rigs, tmp_path, db_url)
    group = await staff_chat(rig, admin, helper)
    tg, helper_id, photo = rig.sandbox.telegram, int(helper.external_id), _jpeg()
    on_telegram, on_vk, on_viber = (rig.subscriber(p) for p in ("telegram", "vk", "viber"))

    asked = await _ask(rig, group, on_telegram, "Где схема проезда в санаторий?")
    uploads = tg.stats()["uploads_total"]
    group_file(tg, group, helper_id, "photo", "схема.jpg", photo, caption="Вот схема",
               reply_to_message_id=asked)
    (line,) = set(await _got(on_telegram, "photo", "Вот схема"))  # one message, captioned
    assert "Ответ профкома" in line.text
    assert _stored_files(rig) == 0  # re-sent by its file_id: nothing fetched or kept
    assert tg.stats()["uploads_total"] == uploads

    asked = await _ask(rig, group, on_vk, "Пришлите схему проезда, пожалуйста")
    group_file(tg, group, helper_id, "photo", "схема.jpg", photo, caption="Схема во вложении",
               reply_to_message_id=asked)
    (line,) = set(await _got(on_vk, "photo", "Схема во вложении"))
    assert _stored_files(rig) == 1  # downloaded from Telegram once, uploaded to VK

    asked = await _ask(rig, group, on_viber, "Где взять бланк заявления?")
    group_file(tg, group, helper_id, "document", "заявление.pdf", LEAFLET,
               caption="Бланк во вложении", reply_to_message_id=asked)
    file_line, text_line = await _got(on_viber, "file", "Бланк во вложении")
    assert "/media/" in (file_line.media or "") and file_line != text_line  # Viber: no caption
    assert _stored_files(rig) == 2

    def answered() -> int:
        with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM inbound WHERE is_feedback "
                                    "AND answered_by IS NOT NULL").fetchone()[0])

    assert await wait_for(lambda: answered() == 3, "the three questions answered")
