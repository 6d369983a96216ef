"""A made-up Telegram id ("Bad Request: chat not found") is a wrong id, not a member who
blocked the bot: in the ledger, in the contact's status and in the reach report (issue 12).
Sent through the real adapter against the Telegram emulator."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.report_view import render_report, write_chart
from core.campaigns.store import NewCampaign
from core.reach.report import reach_report
from core.storage.models import Campaign, CampaignRun, Contact, Delivery
from tests.factories import add_members, make_union
from tests.integration.test_telegram_sender import broadcast, delivery_statuses
from tests.integration.test_telegram_support import TOKEN, TgRig, rig

__all__ = ["rig"]  # fixtures used by name

FIRST_ID = 100000  # tests.factories: the n-th member's Telegram id is 100000 + n
MADE_UP, BLOCKED = FIRST_ID + 3, FIRST_ID + 4


async def _audience(engine: AsyncEngine, rig: TgRig) -> None:
    """Five members: three started the bot, one blocked it, one id Telegram does not know."""
    await add_members(engine, await make_union(engine), 5, {"telegram": 1.0})
    for chat in (FIRST_ID, FIRST_ID + 1, FIRST_ID + 2, BLOCKED):
        rig.member(user_id=chat)
    rig.emulator.block_bot(TOKEN, BLOCKED)


async def _contact_status(engine: AsyncEngine, external_id: int) -> str:
    async with engine.connect() as conn:
        status = await conn.scalar(
            select(Contact.status).where(Contact.external_id == str(external_id))
        )
    return str(status)


async def _campaign_of(engine: AsyncEngine, run_id: int) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(
            select(Campaign.id).join(CampaignRun).where(CampaignRun.id == run_id)
        )
    return int(found or 0)


async def test_a_made_up_id_is_a_wrong_id_not_a_block(
    engine: AsyncEngine, rig: TgRig, tmp_path: Path
) -> None:
    await _audience(engine, rig)
    channel = rig.channel()
    run_id = await broadcast(engine, channel, NewCampaign(text="Листовка за декабрь"))
    assert await delivery_statuses(engine, run_id) == {"sent": 3, "wrong_id": 1, "blocked": 1}
    async with engine.connect() as conn:
        error = await conn.scalar(
            select(Delivery.error).where(Delivery.recipient == str(MADE_UP))
        )
    assert error == "Bad Request: chat not found"
    assert await _contact_status(engine, MADE_UP) == "unreachable"
    assert await _contact_status(engine, BLOCKED) == "blocked"

    report = await reach_report(engine, await _campaign_of(engine, run_id))
    assert report is not None
    counts = report.total.counts
    assert (counts["sent"], counts["wrong_id"], counts["blocked"]) == (3, 1, 1)
    assert counts["unreachable"] == 0  # "no messenger" is a third, different outcome
    assert report.channels["telegram"].counts["wrong_id"] == 1
    text = render_report(report, width=120)
    assert "неверный id" in text and "членов): 1." in text
    assert write_chart(report, tmp_path / "reach.png").stat().st_size > 0

    # Never sent to again: the next campaign records the wrong id without a request.
    second = await broadcast(engine, channel, NewCampaign(text="Вторая листовка"))
    assert await delivery_statuses(engine, second) == {"sent": 3, "wrong_id": 1, "blocked": 1}
    errors = rig.stats()["errors"]
    assert errors["400 Bad Request: chat not found"] == 1
    assert errors["403 Forbidden: bot was blocked by the user"] == 1
