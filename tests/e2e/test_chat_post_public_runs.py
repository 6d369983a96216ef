"""A scheduled /post with the public pages: published when its run starts, once (the
channel log and the VK wall have it once), the author told in chat; a restart between
intent and outcome reposts the wall with the same guid (VK drops it) and records the
channel unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bots.chat import public_runs
from core.campaigns.public import UNKNOWN, outcomes
from core.storage.models import Campaign
from tests.e2e.chat_support import make_press, press, received, say
from tests.e2e.subs_support import POLLING, Rig, wait_for
from tests.e2e.test_chat_post_public import _leave_intent, channel_posts


async def test_a_scheduled_post_goes_to_the_pages_when_its_run_starts(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary = rig.subscriber("telegram")
    await make_press(rig, secretary)
    suite = await rig.start()
    await say(secretary, "/post", contains="Пришлите текст")
    await say(secretary, "Собрание в пятницу", contains="Кому отправить")
    await press(secretary, "＋ Канал Telegram", contains="Также: канал")
    await press(secretary, "＋ Стена сообщества VK", contains="Также: канал, стена")
    await press(secretary, "Аппарат", contains="Когда отправить")
    summary = await say(secretary, "завтра в 10:00", contains="Отправить?")
    assert "на стене сообщества." in summary.text and "только при отправке" not in summary.text
    await press(secretary, "✅ Отправить", contains="создана: уйдёт")
    assert channel_posts(rig) == [] and rig.sandbox.vk.wall() == []
    async with rig.engine.begin() as conn:  # due a second from now, whatever the hour
        await conn.execute(update(Campaign).values(
            run_at=datetime.now(UTC) + timedelta(seconds=1), quiet_hours=""))
    told = await received(rig, secretary, "Пост на стене сообщества опубликован")
    assert "Пост в канале опубликован." in told.text and "Рассылка №1" in told.text
    await wait_for(lambda: len(channel_posts(rig)) == 1 and len(rig.sandbox.vk.wall()) == 1,
                   "one post on each page")
    [run_id] = [int(r) for r in await _runs(rig)]
    assert {p: r["state"] for p, r in (await outcomes(rig.engine, 1, run_id)).items()} == {
        "channel": "published", "wall": "published"}
    # A restart between the intent and the outcome (the claims lapsed, nobody is at them).
    await _leave_intent(rig, 1, run_id, ("wall", "channel"))
    assert suite.chat is not None
    await public_runs.publish_started(suite.chat.ctx, None)
    records = await outcomes(rig.engine, 1, run_id)
    assert records["wall"]["state"] == "published" and len(rig.sandbox.vk.wall()) == 1
    assert (records["channel"]["state"], records["channel"]["error"]) == ("failed", UNKNOWN)
    assert len(channel_posts(rig)) == 1


async def _runs(rig: Rig) -> list[str]:
    async with rig.reader.connect() as conn:
        content = (await conn.execute(select(Campaign.content))).scalar_one()
    return list((content.get("public") or {}).keys())
