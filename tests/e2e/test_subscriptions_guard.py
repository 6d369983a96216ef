"""Nothing from outside fakes an update, a platform's retry changes nothing, and a process
killed between storing an update and acknowledging it loses nothing and applies nothing
twice — through the real Suite, WebServer and adapters against the sandbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bots.texts import DIALOG
from core.ports import InboundEvent, Subscribed
from core.storage.models import Inbound
from sandbox.runner import VIBER_TOKEN
from sandbox.union import Actor
from sandbox.viber import SIGNATURE_HEADER, WebhookConfig
from sandbox.viber.events import text_message
from tests.e2e.subs_support import (
    POLLING,
    TG_SECRET,
    VK_SECRET,
    WEBHOOKS,
    Rig,
    answer,
    crash_on,
    duplicates,
    got,
    wait_for,
)

TG_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with (aiohttp.ClientSession() as http,
                http.post(url, data=body, headers=headers) as response):
        return response.status, await response.text()


def telegram_text(actor: Actor, update_id: int, text: str) -> bytes:
    """An update as Telegram posts it when the member writes `text`."""
    user = {"id": int(actor.external_id), "is_bot": False, "first_name": actor.person.name.first}
    message = {"message_id": update_id % 100_000, "date": int(time.time()), "text": text,
               "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
               "from": user}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def vk_start(rig: Rig, actor: Actor, secret: str | None, group: int | None = None) -> bytes:
    body: dict[str, Any] = {
        "type": "message_allow", "event_id": "f" * 40, "v": "5.199",
        "group_id": group or rig.sandbox.vk.knobs.group_id,
        "object": {"user_id": int(actor.external_id), "key": ""},
    }
    if secret is not None:
        body["secret"] = secret
    return json.dumps(body).encode()


def viber_text(rig: Rig, actor: Actor, token: int, text: str) -> bytes:
    user = rig.sandbox.viber.user(actor.external_id)
    config = WebhookConfig(send_name=True)
    payload = text_message(user, config, text, int(time.time() * 1000), token)
    return json.dumps(payload, ensure_ascii=False).encode()


def viber_signed(body: bytes, key: str = VIBER_TOKEN) -> dict[str, str]:
    return {SIGNATURE_HEADER: hmac.new(key.encode(), body, hashlib.sha256).hexdigest()}


async def forge_everything(rig: Rig, victims: dict[str, Actor]) -> None:
    """Every forged or unsigned call is refused with 401/403."""
    tg, vk, viber = (f"{rig.base_url}/webhooks/{c}" for c in ("telegram", "vk", "viber"))
    start = telegram_text(victims["telegram"], 900_001, "/start")
    assert (await post(tg, start, {}))[0] == 401
    assert (await post(tg, start, {TG_HEADER: TG_SECRET + "x"}))[0] == 401
    assert (await post(tg, start, {TG_HEADER: ""}))[0] == 401
    for body in (vk_start(rig, victims["vk"], "wrong"), vk_start(rig, victims["vk"], None),
                 vk_start(rig, victims["vk"], VK_SECRET, group=1)):
        assert (await post(vk, body, {"Content-Type": "application/json"}))[0] == 403
    hello = viber_text(rig, victims["viber"], 800_001, "rupor:start:")
    other = viber_text(rig, victims["viber"], 800_002, "rupor:start:")
    for headers in ({}, viber_signed(hello, "not-the-token"), viber_signed(other),
                    {SIGNATURE_HEADER: "00" * 32}):
        assert (await post(viber, hello, headers))[0] == 403


async def retried_twice(rig: Rig, writers: dict[str, Actor]) -> None:
    """The same update twice, as a platform retries it: both answered as usual, one effect."""
    tg, vk, viber = (f"{rig.base_url}/webhooks/{c}" for c in ("telegram", "vk", "viber"))
    seen: list[Any] = []
    rig.sandbox.vk.world.events.subscribe(seen.append)
    await answer(writers["vk"], lambda: writers["vk"].say("Вопрос из ВК"), contains="Спасибо")
    event = next(e for e in seen if e.type == "message_new")
    vk_retry = json.dumps({**event.envelope("5.199"), "secret": VK_SECRET}).encode()
    tg_update = telegram_text(writers["telegram"], 900_002, "Вопрос из Telegram")
    viber_update = viber_text(rig, writers["viber"], 800_003, "Вопрос из Viber")
    assert await post(tg, tg_update, {TG_HEADER: TG_SECRET}) == (200, "ok")
    assert (await post(viber, viber_update, viber_signed(viber_update)))[0] == 200
    for actor in (writers["telegram"], writers["viber"]):
        await wait_for(got(actor, "Спасибо"), f"{actor} to be thanked")
    before, chats = await rig.snapshot(), {a.platform: len(a.chat()) for a in writers.values()}
    assert await post(tg, tg_update, {TG_HEADER: TG_SECRET}) == (200, "ok")
    assert await post(vk, vk_retry, {"X-Retry-Counter": "1"}) == (200, "ok")
    assert (await post(viber, viber_update, viber_signed(viber_update)))[0] == 200
    assert await rig.snapshot() == before  # no second reply queued either
    assert {a.platform: len(a.chat()) for a in writers.values()} == chats


def subscribed_by(actors: dict[str, Actor]) -> Any:
    ids = {(a.platform, a.external_id) for a in actors.values()}

    def hit(event: InboundEvent) -> str | None:
        sender = event.sender
        if isinstance(event, Subscribed) and (sender.channel, sender.external_id) in ids:
            return sender.channel
        return None

    return hit


async def start_dialogue(actor: Actor) -> None:
    """Open the bot from an invite-less link; for Viber, press "Начать" on the welcome."""
    if actor.platform == "viber":
        await answer(actor, lambda: actor.start(None), contains="Начать")
        actor.press("Начать")
    else:
        actor.start(None)


async def handled_once(rig: Rig, actors: dict[str, Actor], crashed: dict[str, str]) -> None:
    """After the restart each member got the consent question exactly once, and the update
    that died is stored once and handled."""
    for platform, actor in actors.items():
        await wait_for(got(actor, "согласие"), f"{actor} to be asked for consent")
        assert sum("согласие" in line.text for line in actor.chat()) == 1, actor.chat()
        assert await rig.status(actor) == "pending"
        stored = await rig.count(Inbound, Inbound.channel == platform,
                                 Inbound.platform_event_id == crashed[platform],
                                 Inbound.handled_at.is_not(None))
        assert stored == 1, platform
    assert await rig.inbound_unhandled() == 0


async def test_forged_duplicated_and_killed_webhooks(
    rigs: list[Rig], tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await Rig.open(tmp_path, db_url, WEBHOOKS)
    rigs.append(rig)
    platforms = ("telegram", "vk", "viber")
    joining = {p: rig.newcomer(p) for p in platforms}
    # Telegram and VK: killed; Viber: a handler bug (stored, answered 200, retried at start).
    crashed = crash_on(monkeypatch, subscribed_by(joining), bugs=frozenset({"viber"}))
    await rig.start()
    victims = {p: rig.newcomer(p) for p in platforms}
    before = await rig.snapshot()
    await forge_everything(rig, victims)
    assert await rig.snapshot() == before
    assert all(not victim.chat() for victim in victims.values())

    await retried_twice(rig, {p: rig.subscriber(p) for p in platforms})

    await asyncio.gather(*(start_dialogue(a) for a in joining.values()))
    await wait_for(lambda: len(crashed) == 3, "the three updates to die mid-handling")
    assert await rig.inbound_unhandled() == 3
    assert all(not any("согласие" in t.text for t in a.chat()) for a in joining.values())
    # The bug's update was stored before it failed, so Viber got its 200 and keeps quiet.
    messages = [a for a in rig.sandbox.viber.callback_attempts if a.event == "message"]
    assert [(a.attempt, a.http_status) for a in messages] == [(0, 200)]
    await rig.restart()  # the "killed" process comes back; the platforms retry meanwhile
    await handled_once(rig, joining, crashed)
    assert rig.sandbox.telegram.stats()["webhook"]["failures"] >= 1  # it got no answer
    token = rig.settings.telegram.token if rig.settings.telegram else ""
    await wait_for(lambda: not rig.sandbox.telegram.pending_updates(token),
                   "Telegram's retry to be acknowledged")
    # Telegram's and VK's retries reached the restarted process: stored already, no effect.
    await wait_for(lambda: duplicates(rig) >= 2, "the retries to arrive")
    for actor in joining.values():  # the dialogue goes on as usual
        await answer(actor, partial(actor.press, DIALOG.consent_yes), contains="район")


async def test_killed_pollers_handle_each_update_once(
    rigs: list[Rig], tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    joining = {p: rig.newcomer(p) for p in ("telegram", "vk")}
    crashed = crash_on(monkeypatch, subscribed_by(joining))
    await rig.start()
    for platform in joining:  # a round handled and confirmed before the crash
        member = rig.subscriber(platform)
        await answer(member, partial(member.say, "/start"), contains="уже подписаны")
    await asyncio.gather(*(start_dialogue(a) for a in joining.values()))
    await wait_for(lambda: len(crashed) == 2, "both updates to die mid-handling")
    assert await rig.inbound_unhandled() == 2
    await rig.restart()  # getUpdates and the long poll deliver the unconfirmed updates again
    await handled_once(rig, joining, crashed)
    await wait_for(lambda: duplicates(rig) >= 2, "the redelivered updates")
    for actor in joining.values():
        await answer(actor, partial(actor.press, DIALOG.consent_yes), contains="район")


# A fresh install saves VK's starting ts at once (bots/vk/longpoll.py), else a process killed
# in its first round would restart at a newer ts and lose the rest of that round.
async def test_killed_in_the_first_long_poll_round_loses_nothing(
    rigs: list[Rig], tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    first, second = rig.newcomer("vk"), rig.newcomer("vk")
    crashed = crash_on(monkeypatch, subscribed_by({"vk": first}))
    await rig.start()
    first.start(None)
    second.start(None)  # in the same long-poll answer as the first
    await wait_for(lambda: crashed, "the first update to die mid-handling")
    await rig.restart()
    for actor in (first, second):
        await wait_for(got(actor, "согласие"), f"{actor} to be asked for consent", timeout=5)
