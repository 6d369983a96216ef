"""«📨 Разослать членам профсоюза» pressed at the same moment in the Telegram and the VK
staff chat (issue 14, the digest sent once): both presses get past the «already sent» check
and both make a campaign before either claims the month (the test holds each one right
after its campaign is made until the other has made its own); one digest campaign remains
and is started, the other press is told «уже разослан» with its number, and no second
campaign is left behind. Through the real chat layer on a real SQLite file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots import texts as bot_texts
from bots.chat import digest_approval
from bots.chat.drafts import ChatState
from bots.chat.turn import ChatContext, Turn
from bots.digest.approval import PREFIX
from bots.registry import capabilities
from core.access.grants import grant
from core.access.rules import Role
from core.config import settings_from_mapping
from core.digest.content import DIGEST_KIND
from core.digest.month import Month
from core.digest.reports import mark_once, store_file
from core.inbound.dialogs import Dialogs
from core.ports import ButtonPress, Sender
from core.storage.engine import create_engine
from core.storage.models import Campaign, CampaignRun
from tests.e2e.chat_support import LEAFLET
from tests.factories import make_union

SETTINGS = settings_from_mapping({
    "telegram": {"token": "1:digest-once"},
    "vk": {"token": "vk-digest-once", "group_id": 1},
}, environ={})
CHATS = {"telegram": ("-100500", "5001"), "vk": ("2000000001", "5002")}  # chat, admin


def _turn(channel: str, month: Month, number: int) -> Turn:
    chat, admin = CHATS[channel]
    press = ButtonPress(f"press{number}", Sender(channel, chat, is_group=True),
                        f"{PREFIX}send:{month.key}", presser_id=admin)
    return Turn(ChatState(channel, chat), press, number, datetime.now(UTC))


async def _campaigns(engine: AsyncEngine) -> list[tuple[int, str]]:
    async with engine.connect() as conn:
        return [(int(r.id), str(r.kind)) for r in (await conn.execute(
            select(Campaign.id, Campaign.kind).order_by(Campaign.id))).all()]


async def test_two_presses_at_once_send_the_digest_once(
        engine: AsyncEngine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    await make_union(engine)
    month = Month.of(datetime.now(UTC))
    pdf = await store_file(engine, "сборник.pdf", "application/pdf", LEAFLET)
    async with engine.begin() as conn:
        for channel, (_, admin) in CHATS.items():
            await grant(conn, channel, admin, Role.ADMIN, "cli")
        await mark_once(conn, f"digest:pdf:{month.key}", str(pdf.media_id))
    reader = create_engine(db_url, readonly=True)
    ctx = ChatContext(engine, reader, capabilities(SETTINGS), ZoneInfo("Asia/Yekaterinburg"),
                      Dialogs(bot_texts.DIALOG))
    made: list[int] = []
    both_made = asyncio.Event()
    create = digest_approval.create_campaign

    async def create_then_wait(*args: Any) -> int:
        """The real campaign, then held until the other press has made its own too."""
        campaign_id = await create(*args)
        made.append(campaign_id)
        if len(made) == 2:
            both_made.set()
        await asyncio.wait_for(both_made.wait(), 10)
        return campaign_id

    monkeypatch.setattr(digest_approval, "create_campaign", create_then_wait)
    turns = [_turn("telegram", month, 1), _turn("vk", month, 2)]
    try:
        await asyncio.gather(*(digest_approval.pressed(ctx, turn, f"{PREFIX}send:{month.key}")
                               for turn in turns))
    finally:
        await reader.dispose()

    assert len(made) == 2  # both got past the «already sent» check
    digests = [cid for cid, kind in await _campaigns(engine) if kind == DIGEST_KIND]
    assert len(digests) == 1 and set(await _campaigns(engine)) == {(digests[0], DIGEST_KIND)}
    said = sorted(span.text for turn in turns for say in turn.replies for span in say.spans)
    assert len(said) == 2
    assert any(f"рассылка №{digests[0]} уже отправляется" in text for text in said), said
    assert any(f"уже разослан: рассылка №{digests[0]}." in text for text in said), said
    async with engine.connect() as conn:
        runs = (await conn.execute(select(func.count()).select_from(CampaignRun))).scalar()
    assert runs == 1
