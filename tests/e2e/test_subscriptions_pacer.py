"""Replies to members go through the same pacer as broadcasts: 50 members start the bot in
the middle of a 300-chat Telegram broadcast, and the platform sees no 429 and no breach of
its limits, while every member is answered and every delivery is sent."""

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


async def test_starts_during_a_broadcast_cause_no_429(rig: Rig) -> None:
    newcomers = [rig.newcomer("telegram") for _ in range(JOINING)]
    await rig.start()
    campaign = await rig.campaign("Листовка для всех: коллективный договор", channels=(
        "telegram",))
    total = len(await rig.deliveries(campaign))
    assert total >= 300
    for wave in range(0, JOINING, WAVE):
        # Each wave of members starts the bot once the broadcast got further.
        async def progressed(after: int = wave * 5) -> bool:
            rows = await rig.deliveries(campaign)
            return sum(1 for r in rows if r.status == "sent") >= after

        await wait_for(progressed, "the broadcast to progress")
        for member in newcomers[wave:wave + WAVE]:
            member.start(None)
    rows = await rig.sent(campaign, timeout=60)
    await wait_for(lambda: all(got(m, "согласие")() for m in newcomers),
                   "every newcomer to be answered")
    assert {r.status for r in rows} <= {"sent", "skipped"}
    assert sum(r.status == "sent" for r in rows) >= 300
    stats = rig.sandbox.telegram.stats()
    assert stats["rate_limited"] == 0, stats["errors"]
    assert stats["violations"] == 0, stats["violations_by_scope"]
    assert stats["max_sends_in_1s"] <= 30
    assert "429" not in stats["errors_by_code"]
