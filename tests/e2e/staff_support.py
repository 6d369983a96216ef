"""What the staff-chat e2e tests share: a rig with an admin and a staff member, the staff
group bound with /bind_staff, and waiting for a bot message in that group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.access.rules import Role
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import make_press
from tests.e2e.subs_support import POLLING, Rig, wait_for


async def staff_rig(rigs: list[Rig], tmp_path: Path, db_url: str) -> tuple[Rig, Actor, Actor]:
    """A started rig (Telegram polling) with an admin and a staff member on Telegram."""
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin, helper = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    await make_press(rig, helper, Role.STAFF)
    await rig.start()
    return rig, admin, helper


async def staff_chat(rig: Rig, admin: Actor, *others: Actor) -> int:
    tg = rig.sandbox.telegram
    ids = [int(a.external_id) for a in (admin, *others)]
    group = tg.add_group("Аппарат крайкома", member_ids=ids)
    tg.add_bot_to_group(TELEGRAM_TOKEN, group, added_by=ids[0])
    tg.group_message(group, ids[0], "/bind_staff")
    await in_group(rig, group, "чат сотрудников")
    return group


async def in_group(rig: Rig, group: int, marker: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
        return next((m for m in reversed(log) if marker in (m.get("text") or "")), None)

    message: dict[str, Any] = await wait_for(found, f"{marker!r} in the staff chat", timeout=30)
    return message


def button(message: dict[str, Any], label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return str(next(b["callback_data"] for row in rows for b in row if b["text"] == label))

