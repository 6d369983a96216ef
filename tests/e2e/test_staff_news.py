"""News in the staff chat end to end (issue 14, item 3): a finished campaign with its reach
and gap and "/report N", a run missed while Rupor was down, a channel that fails and comes
back — each once, in the bound Telegram group."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.access.rules import Role
from core.staff.binding import bind
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import make_press
from tests.e2e.subs_support import POLLING, Rig, wait_for
from tests.e2e.test_chat_resend import _missed_campaign

WAIT_S = 30.0


async def _bound_group(rig: Rig, admin: Actor) -> int:
    """A Telegram staff group with the bot in it, bound before the suite starts."""
    tg = rig.sandbox.telegram
    group = tg.add_group("Аппарат крайкома", member_ids=[int(admin.external_id)])
    tg.add_bot_to_group(TELEGRAM_TOKEN, group, added_by=int(admin.external_id))
    async with rig.engine.begin() as conn:
        await bind(conn, "telegram", str(group), "Аппарат крайкома")
    return group


def _group_texts(rig: Rig, group: int, marker: str) -> list[str]:
    log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
    return [m["text"] for m in log if marker in (m.get("text") or "")]


async def _in_group(rig: Rig, group: int, marker: str) -> str:
    found: list[str] = await wait_for(lambda: _group_texts(rig, group, marker),
                                      f"{marker!r} in the staff chat", timeout=WAIT_S)
    return found[-1]


async def _settle(rig: Rig, group: int, admin: Actor) -> None:
    """Everything queued before now has reached the chat (the replies go in order)."""
    rig.sandbox.telegram.group_message(group, int(admin.external_id), "/inbox")
    await _in_group(rig, group, "Вопросов без ответа нет")


async def test_finished_campaign_and_missed_run(rigs: list[Rig], tmp_path: Path,
                                               db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin = rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    group = await _bound_group(rig, admin)
    missed = await _missed_campaign(rig)
    await rig.start()
    told = await _in_group(rig, group, f"Рассылка №{missed} «")
    assert "не отправлена" in told and f"/resend {missed}" in told
    campaign_id = await rig.campaign("Собрание профкома в пятницу")
    news = await _in_group(rig, group, f"Рассылка №{campaign_id} «Собрание")
    assert "завершена: дошло" in news and news.endswith(f"/report {campaign_id} — подробнее")
    assert "Не дошло" in news and "больше всего:" in news  # the union has unjoined members
    assert "Без доступного мессенджера:" in news
    await _settle(rig, group, admin)
    assert len(_group_texts(rig, group, f"Рассылка №{campaign_id} «")) == 1
    assert len(_group_texts(rig, group, f"Рассылка №{missed} «")) == 1
    await rig.restart()  # a restart tells nothing again
    await _settle(rig, group, admin)
    assert len(_group_texts(rig, group, f"Рассылка №{campaign_id} «")) == 1


async def test_channel_fails_and_recovers(rigs: list[Rig], tmp_path: Path, db_url: str
                                          ) -> None:
    from bots.startup import Backoff
    from bots.suite import Suite

    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    admin = rig.subscriber("telegram")
    await make_press(rig, admin, Role.ADMIN)
    group = await _bound_group(rig, admin)
    viber = rig.sandbox.viber
    assert rig.settings.viber is not None
    port = urlsplit(rig.settings.viber.api_base).port
    await viber.close()  # Viber's API is out of reach when `rupor run` starts
    stop = asyncio.Event()
    suite = Suite(rig.settings, engine=rig.engine, start_backoff=Backoff(0.2, 1.0))
    running: asyncio.Task[Any] = asyncio.create_task(suite.run(stop))
    try:
        down = await _in_group(rig, group, "Viber не работает")
        assert "нет связи" in down
        await _settle(rig, group, admin)
        await viber.start(host="127.0.0.1", port=port)
        await _in_group(rig, group, "Viber снова работает")
        await _settle(rig, group, admin)
        assert len(_group_texts(rig, group, "Viber не работает")) == 1
        assert len(_group_texts(rig, group, "Viber снова работает")) == 1
        assert not _group_texts(rig, group, "Telegram не работает")
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT_S)
