"""Viber callbacks through ViberChannel.handle_webhook: authentication, translation, welcome."""

from __future__ import annotations

import json

import aiohttp
from viberbot.api.viber_requests import create_request

from bots import texts
from core.ports import (
    ButtonPress,
    Command,
    Outbound,
    Receipt,
    Span,
    Subscribed,
    Text,
    Unsubscribed,
)
from sandbox.viber import SIGNATURE_HEADER, signature
from tests.integration.test_viber_support import (  # noqa: F401 - the fixture is used by name
    TOKEN,
    Make,
    make_viber_fixture,
)

SEEN = {"event": "seen", "timestamp": 1767000000000, "chat_hostname": "SN-CHAT-05_",
        "message_token": 4912661846655238145, "user_id": "01234567890A="}


def signed_headers(raw: bytes, token: str = TOKEN) -> dict[str, str]:
    return {"content-type": "application/json", SIGNATURE_HEADER.lower(): signature(raw, token)}


async def test_start_sets_the_webhook_which_viber_checks_at_once(make_viber: Make) -> None:
    viber = await make_viber()
    webhook = viber.emulator.webhook
    assert webhook.url == f"{viber.server.url}/webhooks/viber"
    assert set(webhook.event_types) == {
        "delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"}
    assert webhook.send_name and not webhook.send_photo
    (check,) = viber.emulator.callback_attempts
    assert (check.event, check.http_status) == ("webhook", 200)
    assert viber.server.events == [] and viber.stats()["token_in_body"] == 0


async def test_signature_good_forged_unsigned_and_malformed(make_viber: Make) -> None:
    viber = await make_viber()
    raw = json.dumps(SEEN).encode()
    good = await viber.channel.handle_webhook(signed_headers(raw), raw)
    assert good.status == 200 and [type(e) for e in good.events] == [Receipt]
    forged = await viber.channel.handle_webhook(signed_headers(raw, "another-token"), raw)
    altered = raw.replace(b"seen", b"sEen")
    tampered = await viber.channel.handle_webhook(signed_headers(raw), altered)
    unsigned = await viber.channel.handle_webhook({"content-type": "application/json"}, raw)
    for answer in (forged, tampered, unsigned):
        assert answer.status == 403 and answer.events == ()
    for body in (b"{not json", b"[1, 2]", b'{"no": "event"}',
                 json.dumps({**SEEN, "event": "message"}).encode()):
        malformed = await viber.channel.handle_webhook(signed_headers(body), body)
        assert malformed.status == 400 and malformed.events == (), body


async def test_forged_requests_over_http_get_403_and_change_nothing(make_viber: Make) -> None:
    viber = await make_viber()
    raw = json.dumps(SEEN).encode()
    async with aiohttp.ClientSession() as session:
        for headers in ({SIGNATURE_HEADER: "0" * 64}, {}):
            async with session.post(f"{viber.server.url}/webhooks/viber", data=raw,
                                    headers=headers) as response:
                assert response.status == 403
    assert viber.server.events == []


async def test_a_retried_callback_carries_the_same_event_id(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.emulator.add_user(name="Анна").id
    viber.server.fail_next = 1  # the first delivery is not committed: Viber retries it
    viber.emulator.send_text(member, "Когда собрание?")
    await viber.emulator.drain_callbacks()
    attempts = [(a.event, a.http_status) for a in viber.emulator.callback_attempts[1:]]
    assert attempts == [("message", 500), ("message", 200)]
    (event,) = viber.server.events
    assert isinstance(event, Text) and event.text == "Когда собрание?"
    raw = json.dumps(SEEN).encode()
    first, second = [await viber.channel.handle_webhook(signed_headers(raw), raw)
                     for _ in range(2)]
    assert first == second
    assert first.events[0].event_id == f"seen:{SEEN['message_token']}:01234567890A="


async def test_conversation_started_answers_the_welcome_and_subscribes_nobody(
    make_viber: Make,
) -> None:
    viber = await make_viber()
    member = viber.emulator.add_user().id
    viber.emulator.open_conversation(member, context="p4f2a9c1")
    await viber.emulator.drain_callbacks()
    assert viber.server.events == []
    (welcome,) = viber.emulator.chat_log(member)
    assert (welcome.endpoint, welcome.text) == ("welcome", texts.VIBER_WELCOME)
    (button,) = welcome.reply_buttons()
    assert (button["Text"], button["ActionBody"]) == ("Начать", "rupor:start:p4f2a9c1")
    stats = viber.stats()
    assert stats["welcome_refusals"] == 0 and stats["token_in_body"] == 0
    assert not viber.emulator.user(member).subscribed
    viber.emulator.press_button(member, "rupor:start:p4f2a9c1")
    await viber.emulator.drain_callbacks()
    (joined,) = viber.server.events
    assert isinstance(joined, Subscribed) and joined.invite == "p4f2a9c1"
    assert joined.sender.external_id == member


async def test_a_deep_link_without_context_subscribes_without_invite(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.emulator.add_user().id
    viber.emulator.open_conversation(member)
    await viber.emulator.drain_callbacks()
    viber.emulator.press_button(member, "rupor:start:")
    await viber.emulator.drain_callbacks()
    (joined,) = viber.server.events
    assert isinstance(joined, Subscribed) and joined.invite is None


async def test_member_actions_become_events_in_order(make_viber: Make) -> None:
    viber = await make_viber()
    emulator = viber.emulator
    member = emulator.add_user(name="Ирина Петровна").id
    emulator.subscribe(member)
    emulator.send_text(member, "/Stop@rupor_bot сейчас")
    emulator.send_text(member, "rupor:unsubscribe")  # what a Silent reply button sends
    emulator.send_text(member, "Спасибо за листовку")
    emulator.unsubscribe(member)
    await emulator.drain_callbacks()
    subscribed, command, press, text, unsubscribed = viber.server.events
    assert isinstance(subscribed, Subscribed) and subscribed.invite is None
    assert subscribed.sender.display_name == "Ирина Петровна"
    assert isinstance(command, Command) and (command.name, command.args) == ("stop", "сейчас")
    assert isinstance(press, ButtonPress) and press.payload == "unsubscribe"
    assert isinstance(text, Text) and text.text == "Спасибо за листовку"
    assert isinstance(unsubscribed, Unsubscribed) and unsubscribed.sender.external_id == member
    ids = [e.event_id for e in viber.server.events]
    assert len(set(ids)) == 5 and all(i.endswith(f":{member}") for i in ids)
    assert ids[1].startswith("message:") and ids[0].startswith("subscribed:")


async def test_receipts_match_a_broadcast_token_per_member(make_viber: Make) -> None:
    viber = await make_viber()
    members = [viber.subscriber(), viber.subscriber()]
    await viber.emulator.drain_callbacks()
    viber.server.events.clear()
    results = await viber.channel.send(members, Outbound("r1p0", (Span("Листовка"),)))
    token = int(results[0].platform_message_id or 0)
    viber.emulator.report_delivered(members[0], token)
    viber.emulator.report_seen(members[0], token)
    viber.emulator.report_seen(members[1], token)
    viber.emulator.report_failed(members[1], token, "device offline")
    await viber.emulator.drain_callbacks()
    receipts = viber.server.events
    assert all(isinstance(r, Receipt) for r in receipts) and len(receipts) == 3
    got = sorted((r.sender.external_id, r.kind) for r in receipts)  # type: ignore[union-attr]
    assert got == sorted([(members[0], "delivered"), (members[0], "read"), (members[1], "read")])
    assert {r.platform_message_id for r in receipts} == {str(token)}  # type: ignore[union-attr]
    assert len({r.event_id for r in receipts}) == 3


async def test_unknown_events_are_acknowledged_and_ignored(make_viber: Make) -> None:
    viber = await make_viber()
    raw = json.dumps({**SEEN, "event": "client_status"}).encode()
    answer = await viber.channel.handle_webhook(signed_headers(raw), raw)
    assert answer.status == 200 and answer.events == ()
    # Our welcome body is itself a message viberbot can read back.
    start = {"event": "conversation_started", "timestamp": 1, "message_token": 2,
             "type": "open", "user": {"id": "u=="}, "subscribed": False}
    raw = json.dumps(start).encode()
    welcome = await viber.channel.handle_webhook(signed_headers(raw), raw)
    assert welcome.content_type == "application/json" and welcome.events == ()
    body = json.loads(welcome.body)
    assert body["keyboard"]["Buttons"][0]["ActionBody"] == "rupor:start:"
    echoed = create_request({"event": "message", "timestamp": 1, "message_token": 3,
                             "sender": {"id": "u=="}, "message": body})
    assert echoed.message.text == texts.VIBER_WELCOME
