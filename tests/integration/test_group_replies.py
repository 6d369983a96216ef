"""Notices to a group chat (the staff chat) keep both of Telegram's limits there: twenty a
minute per group and one a second per chat. Three notices queued at once go out a second
apart through ChannelSender, with no 429 from the emulator (which enforces both, as
Telegram does); before, only the group's window was kept and two notices in one second
drew a 429."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports import Span
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.replies import queue_reply
from core.storage.models import Contact, Reply
from tests.integration.test_telegram_support import TOKEN, start_rig


async def test_three_notices_to_a_group_go_a_second_apart_without_a_429(
    engine: AsyncEngine
) -> None:
    rig = await start_rig()
    try:
        staff = rig.member(first_name="Ольга")
        group = rig.emulator.add_group("Аппарат", member_ids=[staff])
        rig.emulator.add_bot_to_group(TOKEN, group, added_by=staff)
        async with engine.begin() as conn:
            contact_id = (await conn.execute(insert(Contact).values(
                channel="telegram", external_id=str(group), kind="group", status="active"
            ).returning(Contact.id))).scalar_one()
            for n in range(3):
                await queue_reply(conn, "telegram", contact_id, (Span(f"Новость {n}"),), ())
        sender = ChannelSender(engine, rig.channel(), Policy())
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        try:
            deadline = time.monotonic() + 30
            while await _unsent(engine):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
        finally:
            stop.set()
            await task
        stats = rig.stats()
        assert stats["errors_by_code"].get("429") is None, stats["errors"]
        log = rig.emulator.chat_log(TOKEN, group)
        assert [m["text"] for m in log] == ["Новость 0", "Новость 1", "Новость 2"]
        dates = [m["date"] for m in log]
        assert dates[2] - dates[0] >= 1  # whole seconds: three in one second is impossible
    finally:
        await rig.close()


async def _unsent(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return len((await conn.execute(select(Reply.id).where(Reply.status != "sent"))).all())
