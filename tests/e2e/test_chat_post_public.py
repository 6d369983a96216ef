"""/post to the union's public pages through the sandbox: the Telegram channel (the bot is
its admin; `[telegram] channel_id`) and the VK community wall (`[vk] admin_user_token`) —
toggles in the audience step, the preview's «Также: …», one post each on confirm with the
outcome recorded in the campaign and told; a redo never posts twice; a refusal is told
with VK's reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select, update

from core.campaigns.content import Content
from core.campaigns.public import LEASE_S, UNKNOWN, Wall, guid, publish_once
from core.storage.models import Campaign
from sandbox.runner import CHANNEL_NAME, TELEGRAM_TOKEN
from tests.e2e.chat_support import make_press, press, press_rig, received, say, send_leaflet
from tests.e2e.subs_support import POLLING, Rig, answer


def channel_posts(rig: Rig) -> list[dict[str, Any]]:
    return rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, rig.sandbox.channel_id)


async def public_record(rig: Rig) -> dict[str, Any]:
    async with rig.reader.connect() as conn:
        content = (await conn.execute(select(Campaign.content))).scalar_one()
    [run] = (content.get("public") or {}).values()  # one run: the «Сейчас» one
    return dict(run)


async def test_a_leaflet_goes_to_the_channel_and_the_wall_once(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, member = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, secretary)
    await rig.start()
    await say(secretary, "/post", contains="Пришлите текст")
    asked = await answer(secretary, lambda: send_leaflet(rig, secretary),
                         contains="Кому отправить")
    assert {"＋ Канал Telegram", "＋ Стена сообщества VK"} <= {b.label for b in asked.buttons}
    await press(secretary, "＋ Канал Telegram", contains="Также: канал")
    both = await press(secretary, "＋ Стена сообщества VK", contains="Также: канал, стена")
    assert {"✅ Канал Telegram", "✅ Стена сообщества VK"} <= {b.label for b in both.buttons}
    await press(secretary, "Весь регион", contains="Когда отправить")
    summary = await press(secretary, "Сейчас", contains="Отправить?")
    assert f"Также: пост в канале @{CHANNEL_NAME}, на стене сообщества." in summary.text
    assert channel_posts(rig) == [] and rig.sandbox.vk.wall() == []  # nothing before confirm
    done = await press(secretary, "✅ Отправить", contains="Рассылка №")
    assert "Пост в канале опубликован." in done.text
    assert "Пост на стене сообщества опубликован." in done.text
    await received(rig, member, "Листок за май")
    [post] = channel_posts(rig)
    assert post["caption"] == "Листок за май: индексация зарплаты"
    assert post["document"]["file_name"] == "листок.pdf" and "from" not in post
    [on_wall] = rig.sandbox.vk.wall()
    assert on_wall["text"] == "Листок за май: индексация зарплаты"
    assert [a["type"] for a in on_wall["attachments"]] == ["doc"]
    record = await public_record(rig)
    assert {page: r["state"] for page, r in record.items()} == {
        "channel": "published", "wall": "published"}
    assert record["wall"]["post"] == f"wall-{rig.sandbox.vk.knobs.group_id}_{on_wall['id']}"


async def test_a_redo_never_posts_twice(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary = rig.subscriber("vk")
    await make_press(rig, secretary)
    suite = await rig.start()
    await say(secretary, "/post", contains="Пришлите текст")
    await say(secretary, "Собрание в пятницу", contains="Кому отправить")
    await press(secretary, "＋ Стена сообщества VK", contains="Также: стена")
    await press(secretary, "Молодые педагоги", contains="Когда отправить")
    await press(secretary, "Сейчас", contains="на стене сообщества")
    await press(secretary, "✅ Отправить", contains="Пост на стене сообщества опубликован")
    campaign_id, run_id = 1, 1
    wall = cast(Wall, cast(Any, suite.channels["vk"]).wall)
    calls: list[str] = []

    async def again() -> str:
        calls.append("called")
        return "never"

    redone = await publish_once(rig.engine, campaign_id, run_id, "wall", again, repeat_safe=True)
    assert redone is not None and redone.published and calls == []
    assert len(rig.sandbox.vk.wall()) == 1
    # A crash after wall.post but before the record: the intent is found, VK's guid drops
    # the repeat; the channel (no such guard) is reported unknown, not posted again.
    await _leave_intent(rig, campaign_id, run_id, ("wall", "channel"))
    repeat = await publish_once(rig.engine, campaign_id, run_id, "wall",
                                lambda: wall.post_on_wall(Content("Собрание в пятницу"),
                                                          guid(campaign_id, run_id, "wall")),
                                repeat_safe=True)
    unknown = await publish_once(rig.engine, campaign_id, run_id, "channel", again,
                                 repeat_safe=False)
    assert repeat is not None and repeat.published and len(rig.sandbox.vk.wall()) == 1
    assert unknown is not None
    assert (unknown.published, unknown.error, calls) == (False, UNKNOWN, [])


async def _leave_intent(rig: Rig, campaign_id: int, run_id: int, pages: tuple[str, ...],
                        age_s: float = LEASE_S + 1) -> None:
    """The intents a crash left: claimed `age_s` ago (past the lease: nobody is at them)."""
    at = (datetime.now(UTC) - timedelta(seconds=age_s)).isoformat()
    async with rig.engine.begin() as conn:
        content = (await conn.execute(select(Campaign.content)
                                      .where(Campaign.id == campaign_id))).scalar_one()
        public = {str(run_id): {page: {"state": "publishing", "at": at} for page in pages}}
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(content={**content, "public": public}))


async def test_a_refused_wall_post_is_told_with_the_reason(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, secretary = await press_rig(rigs, tmp_path, db_url, "vk")
    world = rig.sandbox.vk.world
    world.knobs = replace(world.knobs, admin_user_id=999)  # the token's user is no admin now
    await say(secretary, "/post", contains="Пришлите текст")
    await say(secretary, "Собрание в пятницу", contains="Кому отправить")
    await press(secretary, "＋ Стена сообщества VK", contains="Также: стена")
    await press(secretary, "Аппарат", contains="Когда отправить")
    await press(secretary, "Сейчас", contains="Отправить?")
    done = await press(secretary, "✅ Отправить", contains="Рассылка №")
    assert "Пост на стене сообщества не опубликован: " in done.text
    assert "[15]" in done.text and rig.sandbox.vk.wall() == []
    assert (await public_record(rig))["wall"]["state"] == "failed"
