"""The Telegram adapter against the emulator: real aiogram, every answer mapped to a status."""

from __future__ import annotations

import asyncio

import pytest

from bots.telegram import TelegramChannel, telegram_capabilities
from core.campaigns.content import Content, parts
from core.ports import Button, ChannelError, OutboundPoll, Span, Status
from tests.integration.test_telegram_support import (
    PDF,
    TgRig,
    closed_port,
    leaflet,
    part,
    png,
    rig,
    roomy_rig,
    settings_for,
    start_rig,
)

__all__ = ["rig", "roomy_rig"]  # fixtures used by name


def test_capabilities_follow_the_ceiling_setting() -> None:
    free = telegram_capabilities(settings_for("http://127.0.0.1:1"))
    paid = telegram_capabilities(settings_for("http://127.0.0.1:1", ceiling=1000))
    assert (free.max_recipients_per_call, free.calls_per_second) == (1, 30.0)
    assert (free.per_chat_interval_s, free.per_group_interval_s) == (1.0, 3.0)
    assert (free.max_text_len, free.max_caption_len, free.text_format) == (4096, 1024, "html")
    assert free.native_polls and free.group_chats and not free.media_by_url_only
    assert not (free.delivery_receipts or free.read_receipts or free.idempotent_sends)
    assert paid.calls_per_second == 1000.0


async def test_hostile_names_are_escaped_and_accepted_by_the_strict_parser(rig: TgRig) -> None:
    name = "<b>Анна & Co</b>"
    member = rig.member(first_name=name)
    channel = rig.channel()
    msg = part("r1p0", "Здравствуйте, ", Span(name, bold=True), "! ",
               Span("Листовка <за> декабрь & январь", url="https://example.org/?a=1&b=<2>"))
    [result] = await channel.send([str(member)], msg)
    assert result.status is Status.SENT and result.error is None
    [shown] = rig.log(member)
    assert shown["message_id"] == int(result.platform_message_id or 0)
    assert shown["text"] == f"Здравствуйте, {name}! Листовка <за> декабрь & январь"
    kinds = {e["type"]: e for e in shown["entities"]}
    assert kinds["text_link"]["url"] == "https://example.org/?a=1&b=<2>"
    assert kinds["bold"]["length"] == len(name)
    assert rig.stats()["validation_errors"] == 0


async def test_unreachable_members_get_their_statuses(rig: TgRig) -> None:
    blocked, gone = rig.member(), rig.member()
    stranger = rig.member(started=False)
    rig.emulator.block_bot("123456:TEST-token", blocked)
    rig.emulator.deactivate_user(gone)
    channel = rig.channel()
    results = await channel.send([str(blocked)], part())
    results += await channel.send([str(gone)], part())
    results += await channel.send([str(stranger)], part())
    results += await channel.send(["777"], part())  # an account Telegram does not know
    assert [r.status for r in results] == [
        Status.BLOCKED, Status.BLOCKED, Status.UNSUBSCRIBED, Status.WRONG_ID
    ]
    assert [r.error for r in results] == [
        "Forbidden: bot was blocked by the user", "Forbidden: user is deactivated",
        "Forbidden: bot can't initiate conversation with a user", "Bad Request: chat not found",
    ]
    assert rig.stats()["requests_by_method"] == {"sendMessage": 4}


async def test_a_second_send_to_one_chat_within_a_second_is_retry_after(rig: TgRig) -> None:
    member = rig.member()
    channel = rig.channel()
    first = await channel.send([str(member)], part("r1p0", "раз"))
    second = await channel.send([str(member)], part("r1p1", "два"))
    assert first[0].status is Status.SENT
    assert second[0].status is Status.RETRY_AFTER
    assert second[0].retry_after == 1.0
    assert "retry after 1" in (second[0].error or "")
    assert rig.stats()["rate_limited"] == 1


async def test_other_bad_requests_are_invalid_and_make_one_call(rig: TgRig) -> None:
    member = rig.member()
    channel = rig.channel()
    too_long = part("r1p0", "я" * 4097)
    [result] = await channel.send([str(member)], too_long)
    assert result.status is Status.INVALID
    assert result.error == "Bad Request: message is too long"
    assert rig.stats()["requests_total"] == 1


async def test_server_errors_are_failed() -> None:
    broken = await start_rig(p_5xx=1.0)
    try:
        member = broken.member()
        [result] = await broken.channel().send([str(member)], part())
        assert result.status is Status.FAILED
        assert result.error in ("Internal Server Error", "Bad Gateway")
        assert broken.log(member) == []
    finally:
        await broken.close()


async def test_a_timeout_after_the_request_went_out_is_uncertain() -> None:
    slow = await start_rig(p_timeout=1.0, hang_s=5.0)
    try:
        member = slow.member()
        channel = slow.channel(http_timeout_s=0.3)
        [result] = await channel.send([str(member)], part("r1p0", "Листовка"))
        assert result.status is Status.UNCERTAIN
        assert result.error == "Request timeout error"
        # It did arrive: the emulator recorded the message whose answer was lost.
        assert [m["text"] for m in slow.log(member)] == ["Листовка"]
        assert slow.stats()["faults_injected"]["timeouts"] == 1
    finally:
        await slow.close()


async def test_a_refused_connection_is_failed(rig: TgRig) -> None:
    channel = rig.channel(api_base=f"http://127.0.0.1:{closed_port()}")
    [result] = await channel.send(["100000001"], part())
    assert result.status is Status.FAILED
    assert "ClientConnectorError" in (result.error or "")


async def test_an_unknown_token_is_an_adapter_wide_fault(rig: TgRig) -> None:
    channel = rig.channel(token="999:unknown-token")
    with pytest.raises(ChannelError, match="Unauthorized"):
        await channel.send(["100000001"], part())


async def test_paid_broadcasts_lift_the_bot_ceiling(rig: TgRig) -> None:
    members = [rig.member() for _ in range(40)]
    paid = rig.channel(ceiling=1000)
    paid_results = await asyncio.gather(*(paid.send([str(m)], part()) for m in members))
    assert all(r[0].status is Status.SENT for r in paid_results)
    unpaid = await start_rig()  # a bot without allow_paid_broadcast, same 40 chats at once
    try:
        others = [unpaid.member() for _ in range(40)]
        free = unpaid.channel()
        free_results = await asyncio.gather(*(free.send([str(m)], part()) for m in others))
        statuses = [r[0].status for r in free_results]
        assert statuses.count(Status.SENT) == 30 and statuses.count(Status.RETRY_AFTER) == 10
    finally:
        await unpaid.close()


async def test_a_caption_at_the_limit_travels_with_the_file(rig: TgRig) -> None:
    member = rig.member()
    caps = telegram_capabilities(settings_for(rig.api_base))
    caption = "<&>" + "а" * 1021  # 1024 visible characters, longer once escaped
    [only] = parts(Content(text=caption, media=leaflet()), 1, caps)
    [result] = await rig.channel().send([str(member)], only)
    assert result.status is Status.SENT
    [shown] = rig.log(member)
    assert shown["caption"] == caption and shown["document"]["file_name"] == "листовка.pdf"


async def test_a_caption_over_the_limit_follows_the_file(roomy_rig: TgRig) -> None:
    rig = roomy_rig
    member = rig.member()
    caps = telegram_capabilities(settings_for(rig.api_base))
    caption = "<&>" + "а" * 1022
    buttons = ((Button("Сайт", url="https://example.org"),),)
    file_part, text_part = parts(Content(text=caption, media=leaflet(), buttons=buttons), 1, caps)
    assert file_part.caption_separate and text_part.media is None
    channel = rig.channel()
    [first] = await channel.send([str(member)], file_part)
    [second] = await channel.send([str(member)], text_part)
    assert first.status is second.status is Status.SENT
    document, message = rig.log(member)
    assert "caption" not in document and "reply_markup" not in document
    assert message["text"] == caption
    assert message["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://example.org"


async def test_a_leaflet_is_uploaded_once_for_a_hundred_chats(roomy_rig: TgRig) -> None:
    members = [roomy_rig.member() for _ in range(100)]
    channel = roomy_rig.channel()
    msg = part("r1p0", "Листовка", media=leaflet())
    results = await asyncio.gather(*(channel.send([str(m)], msg) for m in members))
    flat = [r for batch in results for r in batch]
    assert all(r.status is Status.SENT for r in flat)
    refs = [r.media_ref for r in flat if r.media_ref]
    assert len(refs) == 1
    stats = roomy_rig.stats()
    assert stats["uploads_total"] == 1 and stats["accepted_messages_total"] == 100
    file_ids = {roomy_rig.log(m)[0]["document"]["file_id"] for m in members}
    assert file_ids == set(refs)
    assert await channel.prepare_media(leaflet()) == refs[0]


async def test_a_stored_file_id_is_reused_and_a_refused_one_replaced(rig: TgRig) -> None:
    first, second, third = rig.member(), rig.member(), rig.member()
    fresh = rig.channel()
    assert await fresh.prepare_media(leaflet()) is None  # no upload-only call on Telegram
    [uploaded] = await fresh.send([str(first)], part("r1p0", media=leaflet()))
    assert uploaded.media_ref
    restarted = rig.channel()  # another process: the core hands back the stored file_id
    stored = leaflet(ref=uploaded.media_ref)
    [reused] = await restarted.send([str(second)], part("r1p0", media=stored))
    assert reused.status is Status.SENT and reused.media_ref is None
    assert rig.stats()["uploads_total"] == 1
    stale = rig.channel()
    refused = leaflet(ref="BQACAgIAAxkBAAstale")
    [replaced] = await stale.send([str(third)], part("r1p0", media=refused))
    assert replaced.status is Status.SENT and replaced.media_ref not in (None, uploaded.media_ref)
    stats = rig.stats()
    assert stats["uploads_total"] == 2
    assert stats["errors"] == {"400 Bad Request: wrong file identifier/HTTP URL specified": 1}


async def test_an_image_goes_as_a_photo_and_its_largest_size_is_reused(roomy_rig: TgRig) -> None:
    one, two = roomy_rig.member(), roomy_rig.member()
    picture = leaflet(png(), mime="image/png", filename="плакат.png")
    channel = roomy_rig.channel()
    poster = part("r1p0", Span("Плакат", italic=True), media=picture)
    [first] = await channel.send([str(one)], poster)
    [second] = await channel.send([str(two)], part("r1p0", media=picture))
    assert first.status is second.status is Status.SENT
    shown = roomy_rig.log(two)[0]
    assert shown["photo"][-1]["file_id"] == first.media_ref
    assert roomy_rig.stats()["requests_by_method"] == {"sendPhoto": 2}
    assert roomy_rig.stats()["uploads_total"] == 1


async def test_buttons_carry_links_and_payloads(rig: TgRig) -> None:
    member = rig.member()
    channel = rig.channel()
    buttons = ((Button("Сайт", url="https://eseur.ru"), Button("Отписаться", payload="stop")),)
    [result] = await channel.send([str(member)], part("r1p0", "Кнопки", buttons=buttons))
    assert result.status is Status.SENT
    [row] = rig.log(member)[0]["reply_markup"]["inline_keyboard"]
    assert row == [{"text": "Сайт", "url": "https://eseur.ru"},
                   {"text": "Отписаться", "callback_data": "stop"}]


async def test_a_payload_over_64_bytes_is_refused_without_a_call(rig: TgRig) -> None:
    member = rig.member()
    channel = rig.channel()
    buttons = ((Button("Да", payload="я" * 33),),)  # 66 bytes in UTF-8
    [result] = await channel.send([str(member)], part("r1p0", "Кнопка", buttons=buttons))
    assert result.status is Status.INVALID
    assert "66 bytes" in (result.error or "") and "64" in (result.error or "")
    assert rig.stats()["requests_total"] == 0


async def test_a_poll_is_native_and_not_anonymous(rig: TgRig) -> None:
    member, blocked = rig.member(), rig.member()
    rig.emulator.block_bot("123456:TEST-token", blocked)
    channel = rig.channel()
    poll = OutboundPoll("r1p0", 7, "Удобно ли <время> & место?", ("Да", "Нет <совсем>"),
                        allows_multiple=True)
    [sent] = await channel.send_poll([str(member)], poll)
    [refused] = await channel.send_poll([str(blocked)], poll)
    assert sent.result.status is Status.SENT and sent.platform_poll_id
    assert refused.result.status is Status.BLOCKED and refused.platform_poll_id is None
    shown = rig.emulator.poll(sent.platform_poll_id)
    assert shown["question"] == poll.question
    assert [o["text"] for o in shown["options"]] == list(poll.options)
    assert shown["is_anonymous"] is False and shown["allows_multiple_answers"] is True


def test_the_adapter_is_built_from_settings_alone() -> None:
    channel = TelegramChannel.from_settings(settings_for("http://127.0.0.1:1"))
    assert channel.name == "telegram" and channel.webhook_path == "/webhooks/telegram"
    assert channel.capabilities.calls_per_second == 30.0


async def test_a_file_over_the_upload_limit_is_invalid() -> None:
    small = await start_rig(max_upload_bytes=1000)
    try:
        member = small.member()
        big = leaflet(PDF + b"%" * 2000)
        [result] = await small.channel().send([str(member)], part("r1p0", media=big))
        assert result.status is Status.INVALID
        assert result.error == "Request Entity Too Large"
        assert small.stats()["uploads_total"] == 0
    finally:
        await small.close()


def test_the_connection_pool_outnumbers_the_calls_in_flight() -> None:
    """A call that timed out waiting for a pooled connection never left, yet would look like
    a lost answer (uncertain): the pool must never be the bottleneck."""
    from core.config import settings_from_mapping
    from core.sending.dispatch import MAX_CALLS_IN_FLIGHT

    settings = settings_from_mapping({"telegram": {"token": "1:a"}}, environ={})
    channel = TelegramChannel.from_settings(settings)
    assert channel.bot.session._connector_init["limit"] > MAX_CALLS_IN_FLIGHT
