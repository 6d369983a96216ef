"""ViberChannel against the Viber emulator: sends, broadcasts and every status mapping.

Each test asserts on what the emulator saw (stats, chat logs) as well as on the results.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bots.transport import ChannelDeps
from bots.viber import ViberChannel, viber_capabilities
from bots.viber.channel import FALLBACK_ERROR
from bots.viber.client import ViberClient
from bots.viber.statuses import RETRY_AFTER_S, refused
from core.config import settings_from_mapping
from core.ports import ChannelError, Outbound, Span, Status
from sandbox.viber import ViberKnobs
from tests.integration.test_viber_support import (  # noqa: F401 - the fixture is used by name
    BOT_AVATAR,
    BOT_NAME,
    TOKEN,
    Make,
    closed_port,
    make_viber_fixture,
)

LEAFLET = Outbound("r1p0", (Span("Листовка", bold=True), Span(" за декабрь")))


def knobs(**changes: object) -> ViberKnobs:
    return replace(ViberKnobs(auth_token=TOKEN, seed=3), **changes)  # type: ignore[arg-type]


def test_capabilities_state_vibers_limits() -> None:
    settings = settings_from_mapping({"viber": {"token": "t"}}, environ={})
    caps = viber_capabilities(settings)
    assert (caps.max_recipients_per_call, caps.calls_per_second) == (300, 60)
    assert (caps.window_calls, caps.window_s) == (500, 10.0)
    assert (caps.window_calls, caps.window_s) == (500, 10.0)
    assert (caps.per_chat_interval_s, caps.per_group_interval_s) == (0, 0)
    assert not caps.native_polls and not caps.group_chats and not caps.idempotent_sends
    assert caps.delivery_receipts and caps.read_receipts and caps.media_by_url_only
    assert (caps.max_text_len, caps.max_caption_len, caps.text_format) == (7000, 0, "plain")
    channel = ViberChannel.from_settings(settings, ChannelDeps(public_url="https://x.example"))
    assert channel.name == "viber" and channel.capabilities == caps
    assert channel.webhook_path == "/webhooks/viber"


async def test_one_recipient_goes_by_send_message_with_the_token_in_the_header(
    make_viber: Make,
) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    (result,) = await viber.channel.send([member], LEAFLET)
    assert result.status is Status.SENT
    (message,) = viber.emulator.chat_log(member)
    assert result.platform_message_id == str(message.message_token)
    assert (message.endpoint, message.type, message.text) == (
        "send_message", "text", "Листовка за декабрь"
    )
    assert message.fields["sender"] == {"name": BOT_NAME, "avatar": BOT_AVATAR}
    stats = viber.stats()
    assert stats["requests"] == {"set_webhook": 1, "send_message": 1}
    assert stats["token_in_body"] == 0


async def test_broadcast_maps_the_failed_list_per_receiver(make_viber: Make) -> None:
    viber = await make_viber()
    subscribed = [viber.subscriber() for _ in range(4)]
    unsubscribed = viber.emulator.add_user().id
    left = viber.subscriber()
    viber.emulator.deactivate(left)
    to = [*subscribed, unsubscribed, left, "never-on-viber=="]
    results = {r.recipient: r for r in await viber.channel.send(to, LEAFLET)}
    assert list(results) == to
    tokens = {results[m].platform_message_id for m in subscribed}
    assert all(results[m].status is Status.SENT for m in subscribed) and len(tokens) == 1
    assert tokens == {str(viber.emulator.chat_log(subscribed[0])[0].message_token)}
    assert results[unsubscribed].status is Status.UNSUBSCRIBED
    assert results[left].status is Status.BLOCKED
    assert results["never-on-viber=="].status is Status.BLOCKED
    assert "Not subscribed" in (results[unsubscribed].error or "")
    stats = viber.stats()
    assert stats["broadcasts"] == 1 and stats["broadcast_sizes"] == [7]
    assert stats["requests"].get("send_message", 0) == 0 and stats["token_in_body"] == 0


async def test_send_message_statuses_5_and_6(make_viber: Make) -> None:
    viber = await make_viber()
    not_subscribed = viber.emulator.add_user().id
    left = viber.subscriber()
    viber.emulator.deactivate(left)
    (unsub,) = await viber.channel.send([not_subscribed], LEAFLET)
    (blocked,) = await viber.channel.send([left], LEAFLET)
    assert unsub.status is Status.UNSUBSCRIBED and unsub.error == "6 receiverNotSubscribed"
    assert blocked.status is Status.BLOCKED and blocked.error == "5 receiverNotRegistered"
    assert viber.stats()["errors_by_status"] == {"5": 1, "6": 1}


async def test_status_12_rate_limit_is_retry_after(make_viber: Make) -> None:
    viber = await make_viber(knobs(p_429=1.0), start=False)
    assert "12 tooManyRequests" in await viber.start_expecting_fault()
    single = await viber.channel.send(["a=="], LEAFLET)
    batch = await viber.channel.send(["a==", "b=="], LEAFLET)
    for result in (*single, *batch):
        assert result.status is Status.RETRY_AFTER and result.retry_after == RETRY_AFTER_S
    assert viber.stats()["faults_injected"]["status_12"] == 3


async def test_status_12_per_member_cap_fails_that_member_only(make_viber: Make) -> None:
    viber = await make_viber(knobs(per_user_cap=1))
    capped, fresh = viber.subscriber(), viber.subscriber()
    assert (await viber.channel.send([capped], LEAFLET))[0].status is Status.SENT
    (single,) = await viber.channel.send([capped], LEAFLET)
    results = {r.recipient: r for r in await viber.channel.send([capped, fresh], LEAFLET)}
    # The cap lasts up to an hour: a per-member retry with backoff, not a channel pause.
    for result in (single, results[capped]):
        assert result.status is Status.FAILED and "100 messages" in (result.error or "")
    assert results[fresh].status is Status.SENT
    assert viber.stats()["user_cap_refusals"] == 2


async def test_bad_data_is_invalid_and_keeps_viber_reason(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    too_long = Outbound("r1p0", (Span("я" * 7001),))
    (result,) = await viber.channel.send([member], too_long)
    assert result.status is Status.INVALID and "text is too long" in (result.error or "")
    assert viber.stats()["errors_by_status"] == {"3": 1}


async def test_missing_data_answer_maps_to_invalid(make_viber: Make) -> None:
    # Our adapter always sends complete bodies, so a body without "sender" is made by hand
    # through the same client to get Viber's status 4 answer.
    viber = await make_viber()
    member = viber.subscriber()
    client = ViberClient(viber.api_base, TOKEN, 5.0)
    await client.open()
    try:
        answer = await client.call("send_message", {"receiver": member, "type": "text",
                                                    "text": "x"})
    finally:
        await client.close()
    assert answer["status"] == 4
    (result,) = refused([member], answer)
    assert result.status is Status.INVALID and "sender" in (result.error or "")


@pytest.mark.parametrize(
    ("changes", "status"),
    [({"account_blocked": True}, "7 publicAccountBlocked"), ({}, "2 invalidAuthToken")],
)
async def test_account_faults_raise_channel_error(
    make_viber: Make, changes: dict[str, object], status: str
) -> None:
    token = None if changes else "a-wrong-token"
    viber = await make_viber(knobs(**changes), start=False, token=token)
    assert status in await viber.start_expecting_fault()
    with pytest.raises(ChannelError, match=status):
        await viber.channel.send(["a==", "b=="], LEAFLET)
    with pytest.raises(ChannelError, match=status):
        await viber.channel.send(["a=="], LEAFLET)


async def test_webhook_not_set_raises_channel_error(make_viber: Make) -> None:
    viber = await make_viber()
    member = viber.subscriber()
    assert (await viber.admin_call("set_webhook", {"url": ""}))["status"] == 0
    with pytest.raises(ChannelError, match="10 webhookNotSet"):
        await viber.channel.send([member], LEAFLET)


@pytest.mark.parametrize(("changes", "status"), [
    ({"free_messages": 0}, "23 freeMessagesExceeded"), ({"balance_messages": 0}, "24 noBalance"),
])
async def test_billing_refusals_raise_channel_error(
    make_viber: Make, changes: dict[str, object], status: str
) -> None:
    viber = await make_viber(knobs(**changes))
    members = [viber.subscriber() for _ in range(3)]
    with pytest.raises(ChannelError, match=status):
        await viber.channel.send(members[:1], LEAFLET)
    with pytest.raises(ChannelError, match=status):
        await viber.channel.send(members, LEAFLET)
    assert viber.stats()["accepted_messages_total"] == 0


async def test_billing_refusal_of_some_receivers_fails_only_them(make_viber: Make) -> None:
    viber = await make_viber(knobs(free_messages=0))
    replied, silent = viber.subscriber(), viber.subscriber()
    viber.emulator.send_text(replied, "Здравствуйте")  # an open session is not billed
    results = {r.recipient: r for r in await viber.channel.send([replied, silent], LEAFLET)}
    assert results[replied].status is Status.SENT
    assert results[silent].status is Status.FAILED
    assert "23" in (results[silent].error or "")


@pytest.mark.parametrize("refusal", [19, 20])
async def test_broadcast_not_approved_falls_back_to_send_message(
    make_viber: Make, refusal: int
) -> None:
    viber = await make_viber(knobs(broadcast_approved=False, broadcast_refusal_status=refusal))
    members = [viber.subscriber() for _ in range(3)]
    first = await viber.channel.send(members, LEAFLET)
    assert all(r.status is Status.RETRY_AFTER and r.retry_after == 1.0 for r in first)
    assert {r.error for r in first} == {FALLBACK_ERROR}
    assert viber.channel.capabilities.max_recipients_per_call == 1
    # A group formed before the switch is handed back without another broadcast attempt.
    again = await viber.channel.send(members, LEAFLET)
    assert all(r.status is Status.RETRY_AFTER for r in again)
    singles = [(await viber.channel.send([m], LEAFLET))[0] for m in members]
    assert all(r.status is Status.SENT for r in singles)
    stats = viber.stats()
    assert stats["requests"]["broadcast_message"] == 1
    assert stats["errors_by_status"] == {str(refusal): 1}
    assert stats["accepted_messages_by_endpoint"] == {"send_message": 3}


async def test_read_timeout_after_the_request_went_out_is_uncertain(make_viber: Make) -> None:
    viber = await make_viber(knobs(p_timeout=1.0, hang_s=5.0), start=False, http_timeout_s=0.3)
    # set_webhook was carried out, then its answer hung: start() fails, the webhook exists.
    assert "no answer" in await viber.start_expecting_fault()
    assert viber.emulator.webhook.url is not None
    member = viber.subscriber()
    (result,) = await viber.channel.send([member], LEAFLET)
    assert result.status is Status.UNCERTAIN
    assert len(viber.emulator.chat_log(member)) == 1  # it did reach the member


async def test_connection_refused_is_failed(make_viber: Make) -> None:
    viber = await make_viber(start=False, api_base=f"http://127.0.0.1:{closed_port()}")
    assert "cannot connect" in await viber.start_expecting_fault()
    results = await viber.channel.send(["a==", "b=="], LEAFLET)
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    assert viber.stats()["requests_total"] == 0


async def test_http_5xx_is_failed(make_viber: Make) -> None:
    viber = await make_viber(knobs(p_5xx=1.0), start=False)
    assert "HTTP 500" in await viber.start_expecting_fault()
    (result,) = await viber.channel.send(["a=="], LEAFLET)
    assert result.status is Status.FAILED and "HTTP 500" in (result.error or "")


async def test_send_before_start_and_start_without_public_url_are_refused(
    make_viber: Make,
) -> None:
    viber = await make_viber(start=False, no_public_url=True)
    with pytest.raises(ChannelError, match="start"):
        await viber.channel.send(["a=="], LEAFLET)
    with pytest.raises(ChannelError, match="public_url"):
        await viber.channel.start(viber.server.on_event)
    assert viber.stats()["requests_total"] == 0
