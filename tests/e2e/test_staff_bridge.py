"""The bridge between a Telegram and a VK staff chat end to end ([staff] bridge = true):
messages go both ways with the author's name and messenger, a reply quotes what it answers,
a photo and a document are carried, and nothing loops — the bot's own copies are never
relayed back, and a pasted copy is not relayed again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.access.rules import Role
from core.config import StaffSettings
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.telegram.group_files import group_file
from tests.e2e.chat_support import LEAFLET, make_press
from tests.e2e.staff_support import staff_chat
from tests.e2e.subs_support import POLLING, Rig, wait_for
from tests.e2e.test_staff_answer_files import _jpeg
from tests.e2e.test_staff_chat_vk import in_vk_chat, vk_chat_log, vk_staff_chat


def _body(text: str) -> str:
    """A copy without its header line (which may quote another message)."""
    return text.partition("\n")[2] if text.startswith("💬 ") else text


def _tg_bot_messages(rig: Rig, group: int, marker: str) -> list[dict[str, Any]]:
    log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
    return [m for m in log if m.get("from", {}).get("is_bot")
            and marker in _body(m.get("text") or m.get("caption") or "")]


async def _in_tg(rig: Rig, group: int, marker: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = await wait_for(lambda: _tg_bot_messages(rig, group, marker),
                                                 f"{marker!r} relayed to Telegram", timeout=30)
    return found[-1]


def _vk_copies(rig: Rig, peer: int, marker: str) -> list[dict[str, Any]]:
    return [m for m in vk_chat_log(rig, peer) if m["from_id"] < 0 and marker in _body(m["text"])]


async def test_bridge_both_ways_without_loops(rigs: list[Rig], tmp_path: Path, db_url: str
                                              ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    rig.settings = rig.settings.model_copy(update={"staff": StaffSettings(bridge=True)})
    on_tg, on_vk = rig.subscriber("telegram"), rig.subscriber("vk")
    for admin in (on_tg, on_vk):
        await make_press(rig, admin, Role.ADMIN)
    await rig.start()
    group, peer = await staff_chat(rig, on_tg), await vk_staff_chat(rig, on_vk)
    tg, vk = rig.sandbox.telegram, rig.sandbox.vk
    tg_id, vk_id = int(on_tg.external_id), int(on_vk.external_id)

    tg.group_message(group, tg_id, "Коллеги, планёрка в 15:00")
    copy = await in_vk_chat(rig, peer, "Коллеги, планёрка в 15:00")
    assert copy["text"].startswith("💬 ") and "(Telegram):" in copy["text"]
    vk.chat_message(peer, vk_id, "Буду вовремя", reply_to_cmid=copy["conversation_message_id"])
    back = await _in_tg(rig, group, "Буду вовремя")
    assert "(ВКонтакте), в ответ на «Коллеги, планёрка в 15:00»" in back["text"]
    tg.group_message(group, tg_id, "Отлично", reply_to_message_id=back["message_id"])
    answered = await in_vk_chat(rig, peer, "Отлично")
    assert "в ответ на «Буду вовремя»" in answered["text"]

    group_file(tg, group, tg_id, "photo", "зал.jpg", _jpeg(), caption="Фото зала")
    photo = await in_vk_chat(rig, peer, "Фото зала")
    assert [a["type"] for a in photo["attachments"]] == ["photo"]
    vk.chat_message(peer, vk_id, "Протокол", document=("протокол.pdf", LEAFLET))
    document = await _in_tg(rig, group, "Протокол")
    assert document["document"]["file_name"] == "протокол.pdf"

    tg.group_message(group, tg_id, "💬 Вставленная копия (ВКонтакте):\nне пересылать")
    tg.group_message(group, tg_id, "Последнее сообщение")
    await in_vk_chat(rig, peer, "Последнее сообщение")
    for marker in ("Коллеги, планёрка", "Отлично", "Фото зала", "Последнее"):
        assert len(_vk_copies(rig, peer, marker)) == 1, marker  # each copied once
        assert not _tg_bot_messages(rig, group, marker), marker  # never back to its source
    for marker in ("Буду вовремя", "Протокол"):
        assert len(_tg_bot_messages(rig, group, marker)) == 1, marker
        assert not _vk_copies(rig, peer, marker), marker
    assert not _vk_copies(rig, peer, "не пересылать")
