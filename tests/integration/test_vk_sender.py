"""core.sending.dispatch.ChannelSender with the VK adapter against the emulator at VK's real ceiling
(20 requests/s): 5,000 members in 50 calls without a single error 6, and a leaflet whose
upload must not push the token over its ceiling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.campaigns.store import NewCampaign, create_campaign
from core.sending import outbox, runs
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.storage.models import Contact, Delivery
from tests.factories import add_members, make_union

try:
    from .test_vk_rig import PDF, VkRig, make_rig, rig  # noqa: F401 (fixtures)
except ImportError:  # run as a top-level module
    from test_vk_rig import PDF, VkRig, make_rig, rig  # noqa: F401 (fixtures)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def audience(engine: AsyncEngine, rig: VkRig, count: int) -> list[int]:
    """`count` members with a VK contact each, all of whom allowed the community to write."""
    union = await make_union(engine)
    await add_members(engine, union, count, {"vk": 1.0})
    async with engine.connect() as conn:
        ids = (await conn.execute(select(Contact.external_id))).scalars().all()
    rig.members(*(int(i) for i in ids))
    return [int(i) for i in ids]


async def broadcast(engine: AsyncEngine, rig: VkRig, new: NewCampaign) -> float:
    channel = rig.channel()
    campaign_id = await create_campaign(engine, new, {"vk": channel.capabilities})
    started = await runs.start_run(engine, campaign_id, AT, ["vk"])
    await runs.materialise(engine, started.run_id)
    sender = ChannelSender(engine, channel, Policy(idempotent=True))
    stop = asyncio.Event()
    began = time.monotonic()
    task = asyncio.create_task(sender.run(stop))

    async def idle() -> bool:
        return await outbox.pending_count(engine, ["vk"]) == 0

    try:
        await eventually(idle)
    finally:
        stop.set()
        await task
    return time.monotonic() - began


async def sent(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(
            select(func.count()).where(Delivery.status == "sent")
        )).scalar_one())


async def test_5000_members_in_50_calls_at_20_per_second_without_error_6(
    engine: AsyncEngine, rig: VkRig
) -> None:
    peers = await audience(engine, rig, 5000)
    elapsed = await broadcast(engine, rig, NewCampaign(text="**Листовка** за декабрь"))
    stats = rig.emulator.stats()

    assert await sent(engine) == 5000
    assert stats["accepted_messages_total"] == 5000
    assert all(len(rig.emulator.dialog(peer)) == 1 for peer in peers[::97])
    assert stats["requests_by_method"]["messages.send"] == 50
    assert stats["error_6_total"] == 0 and stats["violations"] == 0
    assert stats["max_requests_in_1s"] <= 20
    assert elapsed < 5.0  # about 2.5 s: 20 calls, 20 more a second after their answers, 10


async def test_a_leaflet_upload_does_not_push_the_token_over_its_ceiling(
    engine: AsyncEngine, rig: VkRig, tmp_path: Path
) -> None:
    leaflet = tmp_path / "leaflet-december.pdf"
    leaflet.write_bytes(PDF)
    await audience(engine, rig, 3000)
    # The upload's two API calls are the adapter's own, unseen by the core's pacer: without
    # the adapter's window (bots/vk/window.py) the token carried 22 calls in the first
    # second here, and VK answered error 6 twice.
    rig.emulator.set_faults(latency_s=0.05)
    await broadcast(engine, rig, NewCampaign(text="Листовка за декабрь", media_path=leaflet))
    stats = rig.emulator.stats()

    assert await sent(engine) == 3000
    assert stats["uploads_total"] == 1
    assert stats["error_6_total"] == 0 and stats["violations"] == 0
    assert stats["max_requests_in_1s"] <= 20
