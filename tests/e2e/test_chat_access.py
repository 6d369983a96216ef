"""Who may do what from chat, end to end: a member's /post, someone else's button and a role
removed mid-dialogue are refused and change nothing; a stale draft expires with a notice;
the management commands answer, and a wrong argument is answered with an example."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bots.registry import capabilities
from core.campaigns.store import NewCampaign, create_campaign
from sandbox.runner import TELEGRAM_TOKEN
from tests.e2e.chat_support import campaigns, make_press, press, press_rig, say, take_roles
from tests.e2e.subs_support import POLLING, Rig, wait_for


async def test_refusals(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, member = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, secretary)
    await rig.start()
    refused = await say(member, "/post", contains="только для пресс-секретаря")
    assert refused.buttons == ()
    helped = await say(member, "/help", contains="/stop")
    assert "/post" not in helped.text
    await say(secretary, "/post", contains="Пришлите текст")
    asked = await say(secretary, "Текст рассылки", contains="Кому отправить")
    # The member presses the press secretary's button (same message, another account).
    button = next(b for b in asked.buttons if b.label.startswith("Весь регион"))
    rig.sandbox.telegram.press_button(TELEGRAM_TOKEN, int(member.external_id), int(asked.ref),
                                      button.value, chat_id=int(secretary.external_id))
    await wait_for(lambda: any("только тот, кто начал" in t.text for t in member.chat()),
                   "the refusal to the other account")
    await take_roles(rig, secretary)
    await press(secretary, "Весь регион", contains="больше нет прав", line=asked)
    assert await campaigns(rig) == []
    with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
        refusals = conn.execute("SELECT action, result FROM audit WHERE result = 'refused'")
        assert ("chat.post", "refused") in list(refusals)


async def test_expiry_and_management(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, secretary = await press_rig(rigs, tmp_path, db_url, "telegram")
    await say(secretary, "/post", contains="Пришлите текст")
    # In a thread: a blocking write in the event loop would wait for the suite's own open
    # write transaction (in this loop) until SQLite gave up with «database is locked».
    await asyncio.to_thread(_age_draft, rig, secretary.external_id)
    await say(secretary, "Поздний текст", contains="Черновик рассылки устарел")
    await say(secretary, "/plan", contains="рассылок нет")
    sent = await rig.campaign("Объявление")
    later = await create_campaign(rig.engine, NewCampaign(
        text="Собрание", run_at=datetime.now(UTC) + timedelta(days=2), created_by="e2e"),
        capabilities(rig.settings))
    plan = await say(secretary, "/plan", contains="Рассылки:")
    assert f"№{later} «Собрание» — " in plan.text
    campaign_id = later
    await say(secretary, "/cancel", contains="Укажите номер")
    await say(secretary, "/cancel abc", contains="не номер рассылки")
    await say(secretary, f"/cancel {campaign_id}", contains=f"Рассылка №{campaign_id} отменена")
    await say(secretary, "/cancel 999", contains="Рассылки №999 нет")
    await say(secretary, "/audience", contains="Аудитория:")
    helped = await say(secretary, "/help", contains="/post")
    assert "/report" in helped.text
    await say(secretary, f"/report {campaign_id}", contains="ещё не запускалась")
    await rig.sent(sent)
    await say(secretary, f"/report {sent}", contains="Доход")
    await wait_for(lambda: any(line.media == "photo" for line in secretary.chat()), "the chart")


def _age_draft(rig: Rig, account: str) -> None:
    """Make the draft a day and a minute old, as if nobody had touched it since."""
    key = f"chat:telegram:{account}"
    with sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///")) as conn:
        (value,) = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        state = json.loads(value)
        state["touched"] -= 24 * 3600 + 60
        conn.execute("UPDATE state SET value = ? WHERE key = ?", (json.dumps(state), key))
