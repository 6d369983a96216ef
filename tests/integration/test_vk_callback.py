"""The VK adapter's Callback API: confirmation, secret, forged/malformed/duplicate calls, and
the whole path from the emulator's delivery through our webhook to the events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.vk import VkChannel
from core.config import SettingsError
from core.ports import (
    Button,
    ButtonPress,
    Command,
    Outbound,
    Receipt,
    Span,
    Subscribed,
    Text,
    Unsubscribed,
)

try:
    from .test_vk_rig import Inbox, RigFactory, VkRig, make_rig, rig, wait_for  # noqa: F401
except ImportError:  # run as a top-level module
    from test_vk_rig import Inbox, RigFactory, VkRig, make_rig, rig, wait_for  # noqa: F401

SECRET = "s3cr3t-callback"


def body(rig: VkRig, kind: str, obj: dict[str, Any], *, secret: str | None = SECRET,
         event_id: str = "e1", group_id: int | None = None) -> bytes:
    update: dict[str, Any] = {
        "type": kind, "event_id": event_id, "v": "5.199", "object": obj,
        "group_id": group_id or rig.emulator.knobs.group_id,
    }
    if secret is not None:
        update["secret"] = secret
    return json.dumps(update, ensure_ascii=False).encode()


def message(text: str, **extra: Any) -> dict[str, Any]:
    return {"message": {"id": 77, "from_id": 10, "peer_id": 10, "text": text, **extra}}


@pytest.fixture
def channel(rig: VkRig) -> VkChannel:
    return rig.channel(mode="callback", secret=SECRET, confirmation="c0nf1rm")


async def test_confirmation_answers_the_configured_string_for_our_group_only(
    rig: VkRig, channel: VkChannel
) -> None:
    group_id = rig.emulator.knobs.group_id
    ours = json.dumps({"type": "confirmation", "group_id": group_id}).encode()
    theirs = json.dumps({"type": "confirmation", "group_id": group_id + 1}).encode()
    answer = await channel.handle_webhook({}, ours)
    assert (answer.status, answer.body, answer.events) == (200, "c0nf1rm", ())
    assert (await channel.handle_webhook({}, theirs)).status == 403


async def test_without_a_configured_string_the_code_is_asked_from_vk(rig: VkRig) -> None:
    channel = rig.channel(mode="callback", secret=SECRET)
    ours = json.dumps({"type": "confirmation", "group_id": rig.emulator.knobs.group_id})
    answer = await channel.handle_webhook({}, ours.encode())
    assert answer.body == rig.emulator.knobs.callback_confirmation


async def test_forged_unsigned_and_malformed_calls_change_nothing(
    rig: VkRig, channel: VkChannel
) -> None:
    forged = await channel.handle_webhook({}, body(rig, "message_new", message("x"), secret="no"))
    unsigned = await channel.handle_webhook({}, body(rig, "message_new", message("x"), secret=None))
    other_group = await channel.handle_webhook(
        {}, body(rig, "message_new", message("x"), group_id=1))
    malformed = await channel.handle_webhook({}, b"{not json")
    not_an_event = await channel.handle_webhook({}, b"[1, 2]")
    assert [a.status for a in (forged, unsigned, other_group)] == [403, 403, 403]
    assert [a.status for a in (malformed, not_an_event)] == [400, 400]
    assert all(not a.events for a in (forged, unsigned, other_group, malformed, not_an_event))


async def test_events_are_translated_and_a_duplicate_carries_the_same_id(
    rig: VkRig, channel: VkChannel
) -> None:
    call = body(rig, "message_new", message("Когда собрание?"), event_id="abc")
    first = await channel.handle_webhook({}, call)
    retry = await channel.handle_webhook({"X-Retry-Counter": "1"}, call)
    assert (first.status, first.body) == (retry.status, retry.body) == (200, "ok")
    (said,) = first.events
    assert isinstance(said, Text) and said.text == "Когда собрание?" and said.event_id == "abc"
    assert retry.events == first.events  # the core's inbox drops the repeat by event_id


async def test_every_event_type_we_use(rig: VkRig, channel: VkChannel) -> None:
    async def events(kind: str, obj: dict[str, Any]) -> tuple[Any, ...]:
        answer = await channel.handle_webhook({}, body(rig, kind, obj))
        assert (answer.status, answer.body) == (200, "ok")
        return answer.events

    (allowed,) = await events("message_allow", {"user_id": 10, "key": "p1"})
    (denied,) = await events("message_deny", {"user_id": 10})
    (read,) = await events("message_read", {"from_id": 10, "peer_id": 10, "read_message_id": 5,
                                            "conversation_message_id": 2})
    (command,) = await events("message_new", message("/stop"))
    (pressed,) = await events("message_event", {"user_id": 10, "peer_id": 10, "event_id": "b1",
                                                "payload": {"rupor": "stop"},
                                                "conversation_message_id": 3})
    (group,) = await events("message_new", {"message": {
        "id": 0, "conversation_message_id": 9, "from_id": 10, "peer_id": 2000000001,
        "text": "[club1|@rupor] Ответ", "reply_message": {"id": 0, "conversation_message_id": 4},
    }})
    assert isinstance(allowed, Subscribed) and allowed.invite == "p1"
    assert isinstance(denied, Unsubscribed)
    assert isinstance(read, Receipt) and (read.platform_message_id, read.up_to) == ("5", True)
    assert isinstance(command, Command) and command.name == "stop"
    assert isinstance(pressed, ButtonPress) and (pressed.payload, pressed.callback_id) == (
        "stop", "b1")
    assert isinstance(group, Text) and group.sender.is_group and group.author_id == "10"
    assert (group.text, group.reply_to) == ("Ответ", "c4")
    assert await events("poll_vote_new", {"poll_id": 1, "option_id": 2, "user_id": 10}) == ()
    assert await events("wall_post_new", {"id": 1}) == ()
    assert await events("message_event", {"user_id": 10, "peer_id": 10, "event_id": "b2",
                                          "payload": {"other": 1}}) == ()


def test_callback_mode_needs_a_secret(rig: VkRig) -> None:
    with pytest.raises(SettingsError, match="secret"):
        rig.channel(mode="callback")


@pytest.fixture
async def webhook(rig: VkRig) -> AsyncIterator[tuple[VkChannel, Inbox, str]]:
    """Our webhook on port 0, handing the events over before answering (as bots/webhooks)."""
    inbox = Inbox()
    holder: dict[str, VkChannel] = {}

    async def handle(request: web.Request) -> web.Response:
        answer = await holder["channel"].handle_webhook(request.headers, await request.read())
        for event in answer.events:
            await inbox(event)
        return web.Response(status=answer.status, text=answer.body)

    app = web.Application()
    app.router.add_post("/webhooks/vk", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    public_url = f"http://127.0.0.1:{port}"
    holder["channel"] = rig.channel(mode="callback", secret=SECRET, public_url=public_url)
    yield holder["channel"], inbox, public_url
    await runner.cleanup()


async def test_start_registers_the_webhook_and_events_flow(
    rig: VkRig, webhook: tuple[VkChannel, Inbox, str]
) -> None:
    channel, inbox, public_url = webhook
    emulator = rig.emulator
    emulator.register_user(10)
    await channel.start(inbox)
    await wait_for(lambda: emulator.stats()["callback"].get("confirmations") == 1)

    emulator.write(10, "Здравствуйте")
    await wait_for(lambda: len(inbox.events) == 1)
    async with aiohttp.ClientSession() as http:
        forged = body(rig, "message_new", message("подделка"), secret="guess")
        async with http.post(public_url + "/webhooks/vk", data=forged) as answer:
            status = answer.status

    assert isinstance(inbox.events[0], Text) and inbox.events[0].text == "Здравствуйте"
    assert status == 403 and len(inbox.events) == 1
    assert emulator.callback_status(1) == "ok"
    await channel.start(inbox)  # a restart finds its server and adds no second one
    assert emulator.stats()["requests_by_method"]["groups.addCallbackServer"] == 1


async def test_a_callback_press_through_the_webhook_is_answered(
    rig: VkRig, webhook: tuple[VkChannel, Inbox, str]
) -> None:
    channel, inbox, _ = webhook
    emulator = rig.emulator
    (member,) = rig.members(10)
    await channel.start(inbox)
    buttons = ((Button("Отписаться", payload="stop"),),)
    await channel.send([member], Outbound(key="k", text=(Span("Меню"),), buttons=buttons))
    await wait_for(lambda: emulator.stats()["callback"].get("confirmations") == 1)
    event_id = emulator.press_callback_button(10, label="Отписаться")
    await wait_for(lambda: len(emulator.event_answers()) == 1)
    (press,) = inbox.of(ButtonPress)
    assert (press.payload, press.callback_id) == ("stop", event_id)
