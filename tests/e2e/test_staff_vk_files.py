"""Several files in one VK message, both ways through the staff chat (issue 14), and the
files of members' questions for staff who use only Viber, through the sandbox:

- a VK member's question with two photos and a document in one message: one notice, then
  all three files in the Telegram staff group and in the VK staff chat, each captioned with
  the question's number;
- a staff member's answer from the VK staff chat with several attachments: every file
  reaches the member, on VK, Telegram and Viber;
- a staff member on Viber only (no group chats there) gets the question, then its files in
  their own chat — one caption per question (a Viber file has none), then each picture or
  file from our /media URL."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Any

from PIL import Image

from core.access.rules import Role
from core.staff.files import CURSOR_KEY
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import LEAFLET, make_press, received
from tests.e2e.staff_support import in_group, staff_chat
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for
from tests.e2e.test_staff_chat_vk import in_vk_chat, vk_chat_log, vk_staff_chat


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def _number(text: str) -> int:
    found = re.search(r"Вопрос №(\d+)", text)
    assert found is not None, text
    return int(found.group(1))


async def _files_in_group(rig: Rig, group: int, question: int, count: int
                          ) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        files = [m for m in rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
                 if ("photo" in m or "document" in m)
                 and f"К вопросу №{question}." in (m.get("caption") or "")]
        return files if len(files) >= count else []

    files: list[dict[str, Any]] = await wait_for(found, f"{count} files in the group",
                                                 timeout=30)
    return files


async def _files_in_vk_chat(rig: Rig, peer: int, question: int, count: int
                            ) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        files = [m for m in vk_chat_log(rig, peer) if m["from_id"] < 0 and m["attachments"]
                 and f"К вопросу №{question}." in m["text"]]
        return files if len(files) >= count else []

    files: list[dict[str, Any]] = await wait_for(found, f"{count} files in the VK chat",
                                                 timeout=30)
    return files


def _cursor(rig: Rig) -> str | None:
    with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
        found = conn.execute("SELECT value FROM state WHERE key = ?", (CURSOR_KEY,)).fetchone()
    return None if found is None else str(found[0])


def _media(member: Actor) -> list[str]:
    return [line.media for line in member.chat() if line.media]


async def _staff_chats(rigs: list[Rig], tmp_path: Path, db_url: str
                       ) -> tuple[Rig, int, int, int]:
    """A started rig with a Telegram staff group and a VK staff chat bound; (rig, group,
    VK peer, the VK staff member's id)."""
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    tg_admin, vk_admin, vk_helper = (rig.subscriber("telegram"), rig.subscriber("vk"),
                                     rig.subscriber("vk"))
    await make_press(rig, tg_admin, Role.ADMIN)
    await make_press(rig, vk_admin, Role.ADMIN)
    await make_press(rig, vk_helper, Role.STAFF)
    await rig.start()
    group = await staff_chat(rig, tg_admin)
    peer = await vk_staff_chat(rig, vk_admin, vk_helper)
    return rig, group, peer, int(vk_helper.external_id)


async def test_a_vk_question_with_three_files(rigs: list[Rig], tmp_path: Path, db_url: str
                                              ) -> None:
    rig, group, peer, _ = await _staff_chats(rigs, tmp_path, db_url)
    member, vk = rig.subscriber("vk"), rig.sandbox.vk
    await answer(member, lambda: vk.send_files(
        int(member.external_id), photos=[_jpeg(10), _jpeg(200)],
        documents=[("акт.pdf", LEAFLET)], text="Протечка в кабинете химии"),
        contains="передано в профком")
    notice = await in_group(rig, group, "Протечка в кабинете химии")
    question = _number(notice["text"])
    shown = await _files_in_group(rig, group, question, 3)
    assert sorted("photo" if "photo" in m else m["document"]["file_name"]
                  for m in shown) == ["photo", "photo", "акт.pdf"]
    in_chat = await _files_in_vk_chat(rig, peer, question, 3)
    kinds = sorted(a["type"] for m in in_chat for a in m["attachments"])
    assert kinds == ["doc", "photo", "photo"]
    assert sum("передано в профком" in line.text for line in member.chat()) == 1


async def test_a_vk_answer_with_several_files(rigs: list[Rig], tmp_path: Path, db_url: str
                                              ) -> None:
    rig, _, peer, helper = await _staff_chats(rigs, tmp_path, db_url)
    vk = rig.sandbox.vk
    for platform in ("vk", "telegram", "viber"):
        member = rig.subscriber(platform)
        asked = f"Пришлите бланки, пожалуйста ({platform})"
        await answer(member, lambda m=member, q=asked: m.say(q),
                     contains="передано в профком")
        notice = await in_vk_chat(rig, peer, asked)
        vk.chat_message(peer, helper, f"Бланки во вложении ({platform})",
                        reply_to_cmid=notice["conversation_message_id"],
                        photos=[_jpeg(40), _jpeg(160)], documents=[("бланк.pdf", LEAFLET)])
        await received(rig, member, f"Бланки во вложении ({platform})")
        got = await wait_for(lambda m=member: len(_media(m)) >= 3 and _media(m),
                             f"three files to {platform}", timeout=30)
        pictures = [m for m in got if m.startswith(("photo", "picture"))]
        documents = [m for m in got if m.startswith(("document", "file"))]
        assert len(pictures) == 2 and len(documents) == 1, got
        if platform == "viber":
            assert all("/media/" in m for m in got)  # Viber downloads from our server


async def test_viber_only_staff_get_members_files(rigs: list[Rig], tmp_path: Path,
                                                  db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    staff = rig.subscriber("viber")
    await make_press(rig, staff, Role.STAFF)
    await rig.start()
    # Files of messages older than the feature's first round are not carried (its cursor
    # starts at the newest message): the members write once it has run.
    await wait_for(lambda: _cursor(rig) is not None, "the files' cursor set")
    on_vk, on_telegram = rig.subscriber("vk"), rig.subscriber("telegram")
    await answer(on_vk, lambda: rig.sandbox.vk.send_files(
        int(on_vk.external_id), photos=[_jpeg(30), _jpeg(90)], text="Сломан стул"),
        contains="передано в профком")
    notice = await received(rig, staff, "Сломан стул")
    first = _number(notice.text)
    await answer(on_telegram, lambda: rig.sandbox.telegram.send_document(
        TELEGRAM_TOKEN, int(on_telegram.external_id), "заявление.pdf", LEAFLET,
        "Заявление на отпуск"), contains="передано в профком")
    second = _number((await received(rig, staff, "Заявление на отпуск")).text)

    def files() -> list[str]:
        return [line.media for line in staff.chat() if line.media]

    got = await wait_for(lambda: len(files()) >= 3 and files(), "three files on Viber",
                         timeout=30)
    assert sorted(media.split()[0] for media in got) == ["file", "picture", "picture"]
    assert all("/media/" in media for media in got)  # Viber downloads from our server
    captions = [line.text for line in staff.chat() if line.text.startswith("📎")]
    assert captions.count(f"📎 К вопросу №{first}. Ответить: /answer {first} текст ответа") == 1
    assert captions.count(f"📎 К вопросу №{second}. Ответить: /answer {second} текст ответа"
                          ) == 1
