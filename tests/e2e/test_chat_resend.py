"""A run missed while Rupor was down, end to end: at start the scheduler records it missed
and the press secretary is told in the emulated Telegram, with the command that sends it
now; /resend starts one run (audited), members receive it; a member's /resend is refused
and changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bots.registry import capabilities
from core.campaigns.store import NewCampaign, create_campaign
from core.storage.models import Campaign, CampaignRun
from tests.e2e.chat_support import make_press, received, say
from tests.e2e.subs_support import POLLING, Rig


async def _missed_campaign(rig: Rig) -> int:
    """A one-off campaign whose time passed seven hours ago, quiet hours off."""
    campaign_id = await create_campaign(rig.engine, NewCampaign(
        text="Собрание профактива в пятницу", run_at=datetime.now(UTC) + timedelta(days=1),
        created_by="e2e"), capabilities(rig.settings))
    async with rig.engine.begin() as conn:
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id).values(
            run_at=datetime.now(UTC) - timedelta(hours=7), quiet_hours=""))
    return campaign_id


async def test_missed_run_told_and_resent(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, member = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, secretary)
    campaign_id = await _missed_campaign(rig)
    await rig.start()
    told = await received(rig, secretary, f"Рассылка №{campaign_id} «")
    assert "не отправлена: запуск на" in told.text
    assert "дольше допустимого (6 ч)" in told.text
    assert told.text.endswith(f"Отправить сейчас: /resend {campaign_id}")
    await say(member, f"/resend {campaign_id}", contains="только для пресс-секретаря")
    assert await rig.count(CampaignRun, CampaignRun.status != "missed") == 0
    await say(secretary, f"/resend {campaign_id}", contains="отправляется заново")
    await received(rig, member, "Собрание профактива")
    rows = await rig.sent(campaign_id)
    assert "sent" in {r.status for r in rows}
    assert await rig.count(CampaignRun, CampaignRun.status != "missed") == 1
    with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
        audit = list(conn.execute("SELECT action, result FROM audit WHERE action IN "
                                  "('chat.resend', 'run.missed') ORDER BY id"))
    assert audit == [("run.missed", "ok"), ("chat.resend", "refused"), ("chat.resend", "ok")]
