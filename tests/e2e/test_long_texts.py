"""No text cut silently, end to end: a member's question of 6,500 characters on VK (over
Telegram's 4,096) reaches the Telegram staff chat whole, as several messages (it was cut to
3,000 characters); a staff member replying to the LAST part answers the member, whose
answer (as long as Telegram lets the staff write) reaches them whole on VK."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.access.rules import Role
from sandbox.runner import TELEGRAM_TOKEN
from tests.e2e.chat_support import make_press, received
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for


def words(text: str) -> str:
    return re.sub(r"\s+", "", text)


def numbered(count: int, prefix: str) -> str:
    return " ".join(f"{prefix}{n}." for n in range(count))


async def test_a_long_question_and_a_long_answer_arrive_whole(
    rigs: list[Rig], tmp_path: Path, db_url: str
) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin = rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    member = rig.subscriber("vk")
    await rig.start()
    tg, admin_id = rig.sandbox.telegram, int(admin.external_id)
    group = tg.add_group("Аппарат крайкома", member_ids=[admin_id])
    tg.add_bot_to_group(TELEGRAM_TOKEN, group, added_by=admin_id)
    tg.group_message(group, admin_id, "/bind_staff")
    question = numbered(1100, "в")  # about 6,500 characters: over Telegram's 4,096
    await answer(member, lambda: member.say(question), contains="передано в профком")

    def notice() -> list[dict[str, Any]] | None:
        log = tg.chat_log(TELEGRAM_TOKEN, group)
        first = next((i for i, m in enumerate(log) if "Вопрос №" in (m.get("text") or "")),
                     None)
        if first is None or "Ответьте" not in (log[-1].get("text") or ""):
            return None
        return log[first:]

    parts = await wait_for(notice, "the whole notice in the staff chat", timeout=30)
    assert len(parts) >= 2
    assert words(question) in words("".join(m["text"] for m in parts))
    reply = numbered(620, "о")  # about 3,900 characters, as long as Telegram lets one write
    tg.group_message(group, admin_id, reply, reply_to_message_id=parts[-1]["message_id"])
    line = await received(rig, member, "о619.")
    assert words(reply) in words(line.text)
