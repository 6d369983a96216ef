"""Replies to members go through the same pacer as broadcasts: 50 members start the bot in
the middle of a 300-chat Telegram broadcast, and the platform sees no 429 and no breach of
its limits, while every member is answered; members who leave mid-way are skipped from the
next batch on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.e2e.subs_support import SMALL, WEBHOOKS, Rig, got, wait_for

# Nearly everyone on Telegram: about 300 subscribers and 50 who have not joined yet.
CROWD = replace(
    SMALL, seed=3, districts=2, schools=8, members=400, share_telegram=0.9, share_vk=0.05,
    share_viber=0.05, share_two=0.0, share_unjoined=0.14,
)
JOINING = 50
WAVE = 10


@pytest.fixture
async def rig(tmp_path: Path, db_url: str) -> AsyncIterator[Rig]:
    opened = await Rig.open(tmp_path, db_url, WEBHOOKS, CROWD)
    try:
        yield opened
    finally:
        await opened.close()


async def test_starts_and_leaves_during_a_broadcast(rig: Rig) -> None:
    """50 members start the bot while 300 chats are sent to (no 429, every one answered);
    six members queued last leave mid-way (/stop or a block) and get nothing."""
    newcomers = [rig.newcomer("telegram") for _ in range(JOINING)]
    await rig.start()
    campaign = await rig.campaign("Листовка для всех: коллективный договор", channels=(
        "telegram",))
    rows = await rig.deliveries(campaign)
    assert sum(1 for r in rows if r.channel == "telegram") >= 300
    queued = sorted((r for r in rows if r.status == "pending"), key=lambda r: r.id)
    leaving = [rig.union.find(f"telegram:{r.external_id}") for r in queued[-6:]]
    for wave in range(0, JOINING, WAVE):
        # Each wave of members starts the bot once the broadcast got further.
        async def progressed(after: int = wave * 5) -> bool:
            rows = await rig.deliveries(campaign)
            return sum(1 for r in rows if r.status == "sent") >= after

        await wait_for(progressed, "the broadcast to progress")
        for member in newcomers[wave:wave + WAVE]:
            member.start(None)
        if wave == WAVE:
            for index, member in enumerate(leaving):
                member.say("/stop") if index % 2 else member.block()
    rows = await rig.sent(campaign, timeout=60)
    await wait_for(lambda: all(got(m, "согласие")() for m in newcomers),
                   "every newcomer to be answered")
    left = {r.external_id: r.status for r in rows if r.external_id in
            {m.external_id for m in leaving}}
    assert sorted(left.values()) == ["blocked"] * 3 + ["unsubscribed"] * 3
    assert not any(got(m, "коллективный договор")() for m in leaving)
    assert sum(1 for r in rows if r.status == "sent") == len(rows) - 6 - sum(
        1 for r in rows if r.status == "skipped")
    stats = rig.sandbox.telegram.stats()
    assert stats["rate_limited"] == 0, stats["errors"]
    assert stats["violations"] == 0, stats["violations_by_scope"]
    assert stats["max_sends_in_1s"] <= 30
    assert "429" not in stats["errors_by_code"]
