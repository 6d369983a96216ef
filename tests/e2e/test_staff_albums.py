"""Albums and members' photos in the staff chat (issue 14's pitfall "albums not carried
over"), through the sandbox: a Telegram member's album of three photos is one question —
one thanks, one notice, then all three photos in the staff chat, each linked to that
question (a reply to any of them answers it); a VK member's photo reaches the Telegram staff
chat too; a staff member's album in reply reaches the member photo by photo, without the
"already answered" notice between its parts."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from PIL import Image

from sandbox.runner import TELEGRAM_TOKEN
from sandbox.telegram.member_albums import group_album, send_album
from sandbox.union import Actor
from tests.e2e.chat_support import received
from tests.e2e.staff_support import in_group, staff_chat, staff_rig
from tests.e2e.subs_support import Rig, answer, wait_for


def _jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 90, 40)).save(out, "JPEG")
    return out.getvalue()


async def _photos_of(rig: Rig, group: int, question: int, count: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        photos = [m for m in rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
                  if "photo" in m and f"К вопросу №{question}." in (m.get("caption") or "")]
        return photos if len(photos) >= count else []

    photos: list[dict[str, Any]] = await wait_for(
        found, f"{count} photos of question {question}", timeout=30)
    return photos


def _number(notice: dict[str, Any]) -> int:
    found = re.search(r"Вопрос №(\d+)", notice["text"])
    assert found is not None
    return int(found.group(1))


def _photos_to(member: Actor) -> int:
    return sum(1 for line in member.chat() if (line.media or "").startswith("photo"))


async def test_albums_both_ways(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, admin, helper = await staff_rig(rigs, tmp_path, db_url)
    group, tg, helper_id = await staff_chat(rig, admin, helper), rig.sandbox.telegram, \
        int(helper.external_id)
    member = rig.subscriber("telegram")

    await answer(member, lambda: send_album(tg, TELEGRAM_TOKEN, int(member.external_id),
                                            [_jpeg(10), _jpeg(120), _jpeg(240)],
                                            "Протечка в кабинете химии"),
                 contains="передано в профком")
    notice = await in_group(rig, group, "Протечка в кабинете химии")
    question = _number(notice)
    photos = await _photos_of(rig, group, question, 3)
    assert len(photos) == 3
    assert not [m for m in tg.chat_log(TELEGRAM_TOKEN, group)
                if "Вопрос №" in (m.get("text") or "") and _number(m) != question]
    tg.group_message(group, helper_id, "Пришлём мастера завтра",
                     reply_to_message_id=photos[-1]["message_id"])
    await received(rig, member, "Пришлём мастера завтра")
    assert sum("передано в профком" in line.text for line in member.chat()) == 1

    on_vk = rig.subscriber("vk")
    await answer(on_vk, lambda: rig.sandbox.vk.send_photo(int(on_vk.external_id), _jpeg(60),
                                                          "Сломан стул"),
                 contains="передано в профком")
    notice = await in_group(rig, group, "Сломан стул")
    await _photos_of(rig, group, _number(notice), 1)  # fetched from VK, sent to Telegram
    group_album(tg, group, helper_id, [_jpeg(30), _jpeg(200)], "Вот такой подойдёт?",
                reply_to_message_id=notice["message_id"])
    await wait_for(lambda: _photos_to(on_vk) == 2, "both photos of the album on VK",
                   timeout=30)
    await received(rig, on_vk, "Вот такой подойдёт?")
    assert not any("уже ответили" in (m.get("text") or "")
                   for m in tg.chat_log(TELEGRAM_TOKEN, group))
