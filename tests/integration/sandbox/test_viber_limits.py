"""The Viber emulator's limits: the 500-per-10-s window and its violations, broadcasts
(<= 300, failed_list, approval), the 100-messages-without-reply cap and billing."""

from __future__ import annotations

import asyncio

from viberbot.api.messages import TextMessage

try:  # the helpers sit next to this file; the directory may or may not be a package
    from .test_viber_support import BOT, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)
except ImportError:
    from test_viber_support import BOT, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)

NEWS = TextMessage(text="Новости профсоюза").to_dict()


async def test_rate_window_answers_12_and_counts_ignored_windows(make_rig: RigFactory) -> None:
    rig: Rig = await make_rig(rate_limit=5, rate_window_s=0.5)
    for _ in range(5):
        assert (await rig.call("get_account_info"))["status"] == 0
    assert await rig.call("get_account_info") == {"status": 12, "status_message": "tooManyRequests"}
    assert rig.emulator.stats()["violations"] == 0  # that one was in flight
    rig.clock.advance(0.1)
    assert (await rig.call("get_account_info"))["status"] == 12
    rig.clock.advance(0.1)
    assert (await rig.call("get_account_info"))["status"] == 12
    rig.clock.advance(0.31)  # the oldest request has left the window
    assert (await rig.call("get_account_info"))["status"] == 0
    stats = rig.emulator.stats()
    assert stats["rate_limited"] == 3 and stats["status_12"] == 3
    assert stats["violations"] == 2
    assert stats["max_requests_in_rate_window"] == 8
    assert stats["max_requests_in_1s"] == 9


async def test_default_window_is_500_requests_per_10_seconds(rig: Rig) -> None:
    async def burst(count: int) -> list[int]:
        answers = await asyncio.gather(*(rig.call("get_account_info") for _ in range(count)))
        return [answer["status"] for answer in answers]

    assert set(await burst(500)) == {0}
    assert await burst(1) == [12]
    rig.clock.advance(9.9)
    assert await burst(1) == [12]
    assert rig.emulator.stats()["violations"] == 1
    rig.clock.advance(0.11)
    assert await burst(1) == [0]


async def test_broadcast_reports_failures_per_receiver(rig: Rig) -> None:
    fan, away = rig.subscriber("Вера"), rig.subscriber("Иван")
    rig.emulator.unsubscribe(away)
    stranger = "ZZZZZZZZZZZZZZZZZZZZZZ=="
    await rig.set_webhook()
    body = {**NEWS, "sender": BOT, "broadcast_list": [fan, away, stranger]}
    answer = await rig.call("broadcast_message", body)
    assert answer["status"] == 0 and isinstance(answer["message_token"], int)
    assert answer["failed_list"] == [
        {"receiver": away, "status": 6, "status_message": "Not subscribed"},
        {"receiver": stranger, "status": 5, "status_message": "Not found"},
    ]
    [received] = rig.emulator.chat_log(fan)
    assert received.message_token == answer["message_token"]
    assert received.endpoint == "broadcast_message"
    stats = rig.emulator.stats()
    assert stats["broadcasts"] == 1 and stats["broadcast_sizes"] == [3]
    assert stats["broadcast_failed_receivers"] == 2 and stats["accepted_messages_total"] == 1


async def test_broadcast_takes_at_most_300_receivers(rig: Rig) -> None:
    receivers = [rig.subscriber(f"Член {n}") for n in range(301)]
    await rig.set_webhook()
    body = {**NEWS, "sender": BOT, "broadcast_list": receivers}
    too_many = await rig.call("broadcast_message", body)
    assert too_many["status"] == 3 and "300" in too_many["status_message"]
    answer = await rig.call("broadcast_message", {**body, "broadcast_list": receivers[:300]})
    assert answer["status"] == 0 and answer["failed_list"] == []
    assert rig.emulator.stats()["accepted_messages_total"] == 300
    twice = await rig.call("broadcast_message", {**body, "broadcast_list": receivers[:2] * 2})
    assert twice["status"] == 3


async def test_broadcast_placeholders_are_filled_per_receiver(rig: Rig) -> None:
    anna = rig.subscriber("Анна")
    await rig.set_webhook()
    message = TextMessage(
        text="Здравствуйте, replace_me_with_user_name!",
        tracking_data="u:replace_me_with_receiver_id",
    )
    body = {**message.to_dict(), "sender": BOT, "broadcast_list": [anna]}
    assert (await rig.call("broadcast_message", body))["status"] == 0
    [received] = rig.emulator.chat_log(anna)
    assert received.text == "Здравствуйте, Анна!"
    assert received.tracking_data == f"u:{anna}"


async def test_unapproved_broadcast_answers_20_or_19(make_rig: RigFactory) -> None:
    for status, name in ((20, "broadcastNotAllowed"), (19, "cannotSendBroadcast")):
        rig: Rig = await make_rig(broadcast_approved=False, broadcast_refusal_status=status)
        user = rig.subscriber()
        await rig.set_webhook()
        body = {**NEWS, "sender": BOT, "broadcast_list": [user]}
        assert await rig.call("broadcast_message", body) == {
            "status": status,
            "status_message": name,
        }
        assert (await rig.send(user, NEWS))["status"] == 0  # the fallback still works


async def test_a_hundred_messages_without_reply_then_12_until_the_user_replies(
    make_rig: RigFactory,
) -> None:
    rig: Rig = await make_rig(per_user_cap=3)
    user, other = rig.subscriber(), rig.subscriber()
    await rig.set_webhook()
    for _ in range(3):
        assert (await rig.send(user, NEWS))["status"] == 0
    capped = await rig.send(user, NEWS)
    assert capped["status"] == 12 and capped["status_message"] == "Too many requests"
    assert isinstance(capped["message_token"], int) and "chat_hostname" in capped
    body = {**NEWS, "sender": BOT, "broadcast_list": [user, other]}
    answer = await rig.call("broadcast_message", body)
    assert answer["failed_list"] == [
        {"receiver": user, "status": 12, "status_message": "Too many requests"}
    ]
    rig.emulator.send_text(user, "Спасибо")
    assert (await rig.send(user, NEWS))["status"] == 0
    rig.clock.advance(3600)
    assert (await rig.send(other, NEWS))["status"] == 0
    assert rig.emulator.stats()["user_cap_refusals"] == 2


async def test_bot_initiated_messages_are_billed_outside_a_session(make_rig: RigFactory) -> None:
    rig: Rig = await make_rig(free_messages=1)
    quiet, chatty = rig.subscriber(), rig.subscriber()
    await rig.set_webhook()
    rig.emulator.send_text(chatty, "Привет")
    assert (await rig.send(quiet, NEWS))["status"] == 0
    assert await rig.send(quiet, NEWS) == {"status": 23, "status_message": "freeMessagesExceeded"}
    assert (await rig.send(chatty, NEWS))["status"] == 0  # inside the 24 h session
    rig.clock.advance(24 * 3600 + 1)
    assert (await rig.send(chatty, NEWS))["status"] == 23
    paid: Rig = await make_rig(balance_messages=0)
    user = paid.subscriber()
    await paid.set_webhook()
    assert await paid.send(user, NEWS) == {"status": 24, "status_message": "noBalance"}
    assert rig.emulator.stats()["billable_messages"] == 1
