"""Leaving in one action and coming back, end to end on all three messengers, in polling and
in webhook mode: /stop or the "Отписаться" button, and the platform's own way out (Telegram
block -> my_chat_member, VK message_deny, Viber unsubscribed). A campaign posted after the
member left does not reach them; "Подписаться снова" (or starting again) brings them back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bots.texts import DIALOG
from sandbox.union import Actor
from tests.e2e.subs_support import BOTH, Modes, Rig, answer, nothing_arrives, texts_of

PLATFORMS = ("telegram", "vk", "viber")


async def stop_by_us(rig: Rig, actor: Actor) -> None:
    """/stop on Telegram; the "Отписаться" button under the menu on VK and Viber."""
    if actor.platform == "telegram":
        stopped = await answer(actor, lambda: actor.say("/stop"), contains="отписались")
    else:
        await answer(actor, lambda: actor.say("/start"), contains="уже подписаны")
        stopped = await answer(actor, lambda: actor.press(DIALOG.stop_button),
                               contains="отписались")
    assert [b.label for b in stopped.buttons] == [DIALOG.resubscribe_button]
    await rig.wait_status(actor, "unsubscribed")


async def leave_on_platform(rig: Rig, actor: Actor) -> None:
    """Block the bot (Telegram), deny messages (VK), unsubscribe (Viber): no answer comes."""
    actor.block()
    await rig.wait_status(actor, "blocked" if actor.platform == "telegram" else "unsubscribed")


async def come_back_by_button(rig: Rig, actor: Actor) -> None:
    await answer(actor, lambda: actor.press(DIALOG.resubscribe_button), contains="возвращением")
    await rig.wait_status(actor, "active")


async def come_back_by_start(rig: Rig, actor: Actor) -> None:
    """Start the bot again (Telegram), allow messages (VK), open the chat and press "Начать"
    (Viber): a member who consented before is welcomed back without the dialogue."""
    if actor.platform == "viber":
        await answer(actor, lambda: actor.start(None), contains="Начать")
        await answer(actor, lambda: actor.press("Начать"), contains="возвращением")
    else:
        await answer(actor, lambda: actor.start(None), contains="возвращением")
    await rig.wait_status(actor, "active")


@BOTH
async def test_leave_in_one_action_then_come_back(rigs: list[Rig], tmp_path: Path,
                                                  db_url: str, modes: Modes) -> None:
    rig = await Rig.open(tmp_path, db_url, modes)
    rigs.append(rig)
    await rig.start()
    by_us = {p: rig.subscriber(p) for p in PLATFORMS}
    by_platform = {p: rig.subscriber(p) for p in PLATFORMS}
    staying = {p: rig.subscriber(p) for p in PLATFORMS}
    await asyncio.gather(*(stop_by_us(rig, by_us[p]) for p in PLATFORMS),
                         *(leave_on_platform(rig, by_platform[p]) for p in PLATFORMS))
    leavers = [*by_us.values(), *by_platform.values()]
    before = {a.external_id: len(a.chat()) for a in leavers}

    first = await rig.campaign("Первая рассылка после отписки")
    await rig.sent(first)
    for platform in PLATFORMS:
        assert await rig.delivery_status(first, staying[platform]) == "sent"
        assert any("Первая рассылка" in t for t in texts_of(staying[platform]))
    for actor in leavers:
        # Recorded for the reach report as left, never sent.
        assert await rig.delivery_status(first, actor) in ("unsubscribed", "blocked"), actor
        await nothing_arrives(actor, before[actor.external_id], "Первая рассылка")
    stats = rig.union.stats()
    assert not {k: v for k, v in stats["telegram"]["errors_by_code"].items() if str(k) == "403"}

    await asyncio.gather(*(come_back_by_button(rig, by_us[p]) for p in PLATFORMS),
                         *(come_back_by_start(rig, by_platform[p]) for p in PLATFORMS))
    second = await rig.campaign("Вторая рассылка: все вернулись")
    await rig.sent(second)
    for actor in leavers:
        assert await rig.delivery_status(second, actor) == "sent", actor
        assert any("Вторая рассылка" in t for t in texts_of(actor)), actor
