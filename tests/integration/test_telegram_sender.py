"""The core's ChannelSender driving the Telegram adapter at the real default ceiling (30/s)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram import TelegramChannel
from core.campaigns.store import NewCampaign, create_campaign
from core.sending import outbox, runs
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.storage.models import Delivery
from tests.factories import add_members, make_union
from tests.integration.test_telegram_support import PDF, TgRig, eventually, rig

__all__ = ["rig"]  # fixtures used by name

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def audience(engine: AsyncEngine, rig: TgRig, count: int) -> list[int]:
    """`count` members in the database, each a started Telegram user in the emulator."""
    union = await make_union(engine)
    await add_members(engine, union, count, {"telegram": 1.0})
    chats = [100000 + n for n in range(count)]  # the factory's external ids
    for chat in chats:
        rig.member(user_id=chat)
    return chats


async def broadcast(engine: AsyncEngine, channel: TelegramChannel, new: NewCampaign) -> int:
    """Create the campaign and its run, then send until nothing is pending."""
    campaign_id = await create_campaign(engine, new, {"telegram": channel.capabilities})
    run_id = (await runs.start_run(engine, campaign_id, AT, ["telegram"])).run_id
    await runs.materialise(engine, run_id)
    sender = ChannelSender(engine, channel, Policy())
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))

    async def idle() -> bool:
        return await outbox.pending_count(engine, ["telegram"]) == 0

    try:
        await eventually(idle, timeout=30.0)
    finally:
        stop.set()
        await task
    return run_id


async def delivery_statuses(engine: AsyncEngine, run_id: int) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(Delivery.status, func.count()).where(Delivery.run_id == run_id)
            .group_by(Delivery.status)
        )
        return {status: int(count) for status, count in rows.all()}


async def test_150_chats_at_30_per_second_without_a_single_429(
    engine: AsyncEngine, rig: TgRig
) -> None:
    chats = await audience(engine, rig, 150)
    channel = rig.channel()
    text = "**Листовка** за декабрь: <важно> & срочно"
    run_id = await broadcast(engine, channel, NewCampaign(text=text))
    assert await delivery_statuses(engine, run_id) == {"sent": 150}
    stats = rig.stats()
    assert stats["accepted_messages_total"] == 150
    assert stats["rate_limited"] == 0 and stats["violations"] == 0
    assert stats["max_sends_in_1s"] <= 30
    assert stats["errors"] == {}
    assert rig.log(chats[-1])[0]["text"] == "Листовка за декабрь: <важно> & срочно"


async def test_a_file_and_its_separate_text_keep_a_second_apart(
    engine: AsyncEngine, rig: TgRig, tmp_path: Path
) -> None:
    chats = await audience(engine, rig, 20)
    leaflet = tmp_path / "листовка.pdf"
    leaflet.write_bytes(PDF)
    caption = "Подробности:" + " текст листовки" * 80  # over 1024: the text follows the file
    channel = rig.channel()
    arrivals: dict[int, list[float]] = {}
    rig.emulator.add_bot_message_listener(
        lambda sent: arrivals.setdefault(sent.chat_id, []).append(time.monotonic())
    )
    new = NewCampaign(text=caption, media_path=leaflet, buttons=((("Сайт", "https://eseur.ru"),),))
    run_id = await broadcast(engine, channel, new)
    assert await delivery_statuses(engine, run_id) == {"sent": 20}
    stats = rig.stats()
    assert stats["accepted_messages_total"] == 40 and stats["uploads_total"] == 1
    assert stats["rate_limited"] == 0 and stats["violations"] == 0
    assert stats["max_sends_in_1s"] <= 30
    for chat in chats:
        document, message = rig.log(chat)
        assert "caption" not in document and message["text"] == caption
        first, second = arrivals[chat]
        assert second - first >= 0.99  # Telegram's one message per second in a chat
    file_ids = {rig.log(chat)[0]["document"]["file_id"] for chat in chats}
    assert len(file_ids) == 1
