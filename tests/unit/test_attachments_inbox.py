"""Attachments through the inbox on a real SQLite file: stored and read back with their
reference, filed as feedback alike by the set-based and the per-event path, and refused
as a name in the join dialogue."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.inbound.store import event_from_json, event_to_json
from core.ports import ButtonPress, Sender, Subscribed, Text
from core.storage.models import Contact, Inbound, Organization, Reply
from tests.factories import add_members, make_union

PHOTO = "telegram:photo:AgACAgIAAxkBAAIB"


def test_an_attachment_is_stored_and_read_back() -> None:
    event = Text("e1", Sender("vk", "5", "Анна"), "Лист\n[фото]", attachment="vk:photo:5_6_k")
    stored = event_to_json(event)
    assert stored == {**dataclasses.asdict(event), "type": "Text"}
    assert event_from_json(stored) == event
    earlier = {key: value for key, value in stored.items() if key != "attachment"}
    assert event_from_json(earlier) == dataclasses.replace(event, attachment=None)


async def _feedback(engine: AsyncEngine) -> list[tuple[str, dict[str, Any]]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(Inbound.text, Inbound.event).where(Inbound.is_feedback).order_by(Inbound.id)
        )
        return [(str(text), dict(event)) for text, event in rows.all()]


async def _thanks(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(Reply.content))).scalars().all()
    return sum(1 for content in rows if content["spans"][0][0] == DIALOG.feedback_thanks)


async def test_both_paths_file_a_photo_as_feedback_with_its_reference(
    engine: AsyncEngine,
) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 2, {"telegram": 1.0})
    batch_sender, single_sender = (Sender("telegram", str(100000 + n), "Учитель") for n in (0, 1))
    batched = Inbox(engine, Dialogs(DIALOG))  # handle_common: the set-based path
    one_by_one = Inbox(engine, Dialogs(DIALOG).handle)
    try:
        await batched.receive(Text("b1", batch_sender, "[фото]", attachment=PHOTO))
        await one_by_one.receive(Text("s1", single_sender, "[фото]", attachment=PHOTO))
    finally:
        await batched.close()
        await one_by_one.close()
    first, second = await _feedback(engine)
    assert first[0] == second[0] == "[фото]"
    assert first[1]["attachment"] == second[1]["attachment"] == PHOTO
    assert {k: v for k, v in first[1].items() if k not in ("event_id", "sender")} == {
        k: v for k, v in second[1].items() if k not in ("event_id", "sender")
    }
    assert await _thanks(engine) == 2


async def test_a_file_in_the_name_step_asks_for_the_name_again(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    async with engine.connect() as conn:
        code = (
            await conn.execute(
                select(Organization.code).where(Organization.id == union.schools["Школа 1-1"])
            )
        ).scalar_one()
    inbox = Inbox(engine, Dialogs(DIALOG).handle)
    sender = Sender("telegram", "777", "Мария")
    await inbox.receive(Subscribed("j1", sender, str(code)))
    await inbox.receive(ButtonPress("j2", sender, "consent:yes"))
    # A photo of the union card captioned with a name is still no typed name.
    await inbox.receive(Text("j3", sender, "Иванова Мария Петровна\n[фото]", attachment=PHOTO))
    assert await _last_reply(engine) == DIALOG.ask_name
    assert (await _state(engine))["step"] == "name"
    await inbox.receive(Text("j4", sender, "[стикер 👍]", attachment="telegram:sticker:s"))
    assert await _last_reply(engine) == DIALOG.ask_name
    await inbox.receive(Text("j5", sender, "[геопозиция: 1.0, 2.0]"))  # no file, no name
    assert await _last_reply(engine) == DIALOG.bad_name
    await inbox.receive(Text("j6", sender, "Иванова Мария Петровна"))
    assert (await _state(engine))["step"] == "young"
    await inbox.close()
    assert await _feedback(engine) == []


async def _last_reply(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        content = (
            await conn.execute(select(Reply.content).order_by(Reply.id.desc()).limit(1))
        ).scalar_one()
    return "".join(span[0] for span in content["spans"])


async def _state(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        state = (
            await conn.execute(select(Contact.dialog_state).where(Contact.external_id == "777"))
        ).scalar_one()
    return dict(state)
