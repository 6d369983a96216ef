"""Hypothesis against the adapters' readers of authenticated platform updates, without a
server (tests/integration/test_fuzz_webhooks.py goes through the HTTP endpoints): whatever
the body, the reader answers 200/400/403 or gives no event — never raises — and every event
it gives is one the inbox can store and read back (core.inbound.store)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from aiogram import Bot
from hypothesis import example, given
from hypothesis import strategies as st

from bots.telegram.inbound import callback_id, translate
from bots.telegram.quick import quick_event
from bots.telegram.webhook import parse_update, unreadable_answer
from bots.transport import WebhookAnswer
from bots.viber.inbound import Webhook
from bots.vk.callback import CallbackCheck, receive
from bots.vk.inbound import translate as vk_translate
from core.inbound.store import event_from_json, event_to_json
from core.ports import InboundEvent, Receipt
from tests.fuzz_samples import TG_UPDATES, VIBER_EVENTS, VK_OBJECTS
from tests.fuzzing import fuzz, json_values, mutated, strings

BOT = Bot("123456:" + "A" * 35)
VK = CallbackCheck(group_id=4242, secret="cb-secret")
VIBER_TOKEN = "viber-token-1"
VIBER = Webhook(VIBER_TOKEN, {"name": "Профсоюз"})


def encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def storable(events: tuple[InboundEvent, ...] | list[InboundEvent]) -> None:
    for event in events:
        assert event.event_id and isinstance(event.event_id, str)
        assert event_from_json(json.loads(json.dumps(event_to_json(event)))) == event
        if isinstance(event, Receipt) and event.up_to:  # the core compares it as a number
            int(event.platform_message_id)


def telegram(body: bytes) -> WebhookAnswer:
    """What TelegramChannel.handle_webhook does once the secret header matched."""
    quick = quick_event(body, "rupor_bot")
    if quick is not None:
        return WebhookAnswer(events=(quick,))
    update = parse_update(body, BOT)
    if update is None:
        return unreadable_answer(body)
    callback_id(update)
    event = translate(update, "rupor_bot")
    return WebhookAnswer(events=(event,) if event is not None else ())


@fuzz(300)
@given(body=st.one_of(st.sampled_from(TG_UPDATES).flatmap(mutated).map(encoded),
                      json_values().map(encoded), st.binary(max_size=100)))
def test_any_telegram_body_is_an_update_or_refused(body: bytes) -> None:
    answer = telegram(body)
    assert answer.status in (200, 400)
    storable(answer.events)


vk_updates = st.one_of(
    st.sampled_from(VK_OBJECTS).flatmap(
        lambda sample: st.fixed_dictionaries({
            "type": st.just(sample[0]), "object": mutated(sample[1]),
            "event_id": st.one_of(st.text(min_size=1, max_size=20), json_values(3))})),
    st.fixed_dictionaries({"type": st.one_of(st.text(max_size=20), json_values(3)),
                           "object": json_values(), "event_id": strings()}),
)


@fuzz(300)
@given(update=vk_updates)
@example(update={"type": "message_new", "event_id": "0",
                 "object": {"message": "я" * 5000}})  # found by the webhook fuzz: a str message
@example(update={"type": "message_new", "event_id": "1",
                 "object": {"message": {"peer_id": float("inf"), "text": "x"}}})
@example(update={"type": "message_read", "event_id": "2",  # found by the webhook fuzz: the
                 "object": {"from_id": 10, "read_message_id": [[1732, False], {}]}})  # batch failed
def test_any_vk_event_is_translated_or_skipped(update: dict[str, Any]) -> None:
    storable(vk_translate(update))  # the long poll's path
    envelope = {**update, "group_id": VK.group_id, "secret": VK.secret}
    received = receive(VK, encoded(envelope))
    assert received.answer.status in (200, 400, 403)
    storable(received.answer.events)


@fuzz(100)
@given(body=st.one_of(json_values().map(encoded), st.binary(max_size=100),
                      st.sampled_from([b'{"type": "x", "group_id": Infinity}',
                                       b'{"type": "x", "group_id": 1e999}',
                                       b'{"type": "x", "group_id": NaN}'])))
def test_any_vk_body_is_answered(body: bytes) -> None:
    received = receive(VK, body)
    assert received.answer.status in (200, 400, 403)
    storable(received.answer.events)


def viber_signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(VIBER_TOKEN.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Viber-Content-Signature": digest}


@fuzz(300)
@given(body=st.one_of(st.sampled_from(VIBER_EVENTS).flatmap(mutated).map(encoded),
                      json_values().map(encoded), st.binary(max_size=100)))
def test_any_viber_callback_is_answered(body: bytes) -> None:
    answer = VIBER.answer(viber_signed(body), body)
    assert answer.status in (200, 400)
    storable(answer.events)
    if answer.events:
        assert answer.status == 200
