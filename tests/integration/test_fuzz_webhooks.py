"""Hypothesis against the three webhook endpoints of a running suite: bots.webhooks' aiohttp
server with the real Telegram, VK (Callback API) and Viber adapters behind it, the inbox and
the dialogues on a SQLite file, the sandbox emulators as the platforms.

Bodies are signed correctly, so they reach the parsers — arbitrary JSON, real updates with
fields dropped, retyped or made huge, unicode — or forged. Whatever comes: never a 5xx, no
traceback in the log, a forged call changes nothing, a well-formed but unknown update is
acknowledged (200) and stores nothing, and every stored update is handled by the time it is
acknowledged (nothing half-written). Depth: tests/fuzzing.py (RUPOR_FUZZ).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from core.storage.schema import upgrade_async
from tests.e2e.subs_support import TG_SECRET, VK_SECRET, WEBHOOKS, Rig
from tests.fuzz_samples import TG_UPDATES, USER, VIBER_EVENTS, VK_OBJECTS
from tests.fuzzing import fuzz, json_values, mutated, strings

pytestmark = pytest.mark.asyncio(loop_scope="module")

TG_HEADER = "X-Telegram-Bot-Api-Secret-Token"
VIBER_HEADER = "X-Viber-Content-Signature"


class Tracebacks(logging.Handler):
    """Log records that carry an exception: an unhandled one always shows as such."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[0] is not None:
            self.records.append(record)

    def first(self) -> str:
        return logging.Formatter("%(name)s: %(message)s").format(self.records[0])


@pytest.fixture(scope="module")
def tracebacks() -> Iterator[Tracebacks]:
    handler, root = Tracebacks(), logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rig(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    """One suite in webhook mode for the whole module (starting one takes seconds)."""
    workdir = tmp_path_factory.mktemp("fuzz-webhooks")
    db_url = f"sqlite:///{workdir / 'rupor.sqlite3'}"
    await upgrade_async(db_url)
    rig = await Rig.open(workdir, db_url, WEBHOOKS)
    await rig.start()
    try:
        yield rig
    finally:
        await rig.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, rig: Rig, channel: str, body: bytes,
               headers: dict[str, str]) -> tuple[int, str]:
    async with http.post(f"{rig.base_url}/webhooks/{channel}", data=body,
                         headers=headers) as response:
        return response.status, await response.text()


def encoded(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def viber_headers(rig: Rig, body: bytes) -> dict[str, str]:
    assert rig.settings.viber is not None
    token = rig.settings.viber.token
    return {VIBER_HEADER: hmac.new(token.encode(), body, hashlib.sha256).hexdigest()}


def vk_envelope(rig: Rig, kind: Any, obj: Any, event_id: Any) -> dict[str, Any]:
    assert rig.settings.vk is not None
    return {"type": kind, "event_id": event_id, "v": "5.199", "object": obj,
            "group_id": rig.settings.vk.group_id, "secret": VK_SECRET}


async def check_answer(rig: Rig, tracebacks: Tracebacks, status: int, answer: str) -> None:
    assert status < 500, answer
    assert not tracebacks.records, tracebacks.first()
    # A 2xx means "stored": the dialogues handled it before the answer went out.
    assert await rig.inbound_unhandled() == 0


# Bodies that reach the parsers ------------------------------------------------------------


IDS = itertools.count(10_000)


def renumbered(body: Any, key: str) -> bytes:
    """The body encoded, with a fresh id under `key` where an integer one was kept: a
    repeated id would only be acknowledged as a duplicate, never reaching the handlers."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, dict) and type(body.get(key)) is int:
        body = {**body, key: next(IDS)}
    return encoded(body)


telegram_bodies = st.one_of(
    st.sampled_from(TG_UPDATES).flatmap(mutated),
    json_values(),
    st.binary(max_size=200),
)


@fuzz(60)
@given(body=telegram_bodies)
async def test_telegram_webhook_takes_any_body(
    rig: Rig, http: aiohttp.ClientSession, tracebacks: Tracebacks, body: Any
) -> None:
    raw = renumbered(body, "update_id")
    status, answer = await post(http, rig, "telegram", raw, {TG_HEADER: TG_SECRET})
    await check_answer(rig, tracebacks, status, answer)


vk_bodies = st.one_of(
    st.sampled_from(VK_OBJECTS).flatmap(
        lambda sample: st.tuples(st.just(sample[0]), mutated(sample[1]),
                                 st.one_of(st.text(min_size=1, max_size=20), json_values(3)))),
    st.tuples(st.one_of(st.text(max_size=20), json_values(3)), json_values(), strings()),
)


@fuzz(60)
@given(body=vk_bodies)
async def test_vk_callback_takes_any_body(
    rig: Rig, http: aiohttp.ClientSession, tracebacks: Tracebacks,
    body: tuple[Any, Any, Any],
) -> None:
    kind, obj, event_id = body
    if isinstance(event_id, str):
        event_id = f"{event_id}-{next(IDS)}"
    raw = encoded(vk_envelope(rig, kind, obj, event_id))
    status, answer = await post(http, rig, "vk", raw, {})
    await check_answer(rig, tracebacks, status, answer)


viber_bodies = st.one_of(
    st.sampled_from(VIBER_EVENTS).flatmap(mutated),
    json_values(),
    st.binary(max_size=200),
)


@fuzz(60)
@given(body=viber_bodies)
async def test_viber_webhook_takes_any_body(
    rig: Rig, http: aiohttp.ClientSession, tracebacks: Tracebacks, body: Any
) -> None:
    raw = renumbered(body, "message_token")
    status, answer = await post(http, rig, "viber", raw, viber_headers(rig, raw))
    await check_answer(rig, tracebacks, status, answer)


# Forged calls -------------------------------------------------------------------------------

forged_headers = st.dictionaries(
    st.sampled_from([TG_HEADER, VIBER_HEADER, "X-Retry-Counter", "Content-Type",
                     "X-Forwarded-For"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    max_size=4,
)


@fuzz(40)
@given(channel=st.sampled_from(["telegram", "vk", "viber"]),
       body=st.one_of(st.sampled_from(TG_UPDATES), st.sampled_from(VIBER_EVENTS),
                      json_values()).map(encoded),
       headers=forged_headers)
async def test_a_forged_call_is_refused_and_changes_nothing(
    rig: Rig, http: aiohttp.ClientSession, tracebacks: Tracebacks, channel: str, body: bytes,
    headers: dict[str, str],
) -> None:
    if headers.get(TG_HEADER) == TG_SECRET:
        headers[TG_HEADER] += "x"
    before = await rig.snapshot()
    status, answer = await post(http, rig, channel, body, headers)
    assert status in (400, 401, 403), (status, answer)
    assert await rig.snapshot() == before
    assert not tracebacks.records, tracebacks.first()


@fuzz(20)
@given(obj=st.sampled_from(VK_OBJECTS).map(lambda s: s[1]),
       secret=st.one_of(st.none(), st.text(max_size=30), json_values(3)))
async def test_a_vk_call_with_a_wrong_secret_changes_nothing(
    rig: Rig, http: aiohttp.ClientSession, tracebacks: Tracebacks, obj: dict[str, Any],
    secret: Any,
) -> None:
    envelope = vk_envelope(rig, "message_new", obj, "forged-1")
    envelope["secret"] = secret if secret != VK_SECRET else None
    before = await rig.snapshot()
    status, answer = await post(http, rig, "vk", encoded(envelope), {})
    assert status in (400, 403), (status, answer)
    assert await rig.snapshot() == before


# Well-formed, unknown ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["business_connection", "purchased_paid_media",
                                  "some_update_of_2031"])
async def test_an_unknown_telegram_update_is_acknowledged_and_stores_nothing(
    rig: Rig, http: aiohttp.ClientSession, tracebacks: Tracebacks, kind: str
) -> None:
    before = await rig.snapshot()
    body = encoded({"update_id": 990001, kind: {"id": "x", "user": USER, "date": 1}})
    status, _ = await post(http, rig, "telegram", body, {TG_HEADER: TG_SECRET})
    assert status == 200
    assert await rig.snapshot() == before
    assert not tracebacks.records, tracebacks.first()


@pytest.mark.parametrize("kind", ["wall_post_new", "group_join", "like_add", "future_event"])
async def test_an_unknown_vk_event_is_acknowledged_and_stores_nothing(
    rig: Rig, http: aiohttp.ClientSession, kind: str
) -> None:
    before = await rig.snapshot()
    body = encoded(vk_envelope(rig, kind, {"id": 1, "user_id": 10}, f"unknown-{kind}"))
    status, answer = await post(http, rig, "vk", body, {})
    assert (status, answer) == (200, "ok")
    assert await rig.snapshot() == before


@pytest.mark.parametrize("kind", ["client_status", "action", "future_event"])
async def test_an_unknown_viber_event_is_acknowledged_and_stores_nothing(
    rig: Rig, http: aiohttp.ClientSession, kind: str
) -> None:
    before = await rig.snapshot()
    body = encoded({"event": kind, "timestamp": 1, "message_token": 99, "user_id": "x"})
    status, _ = await post(http, rig, "viber", body, viber_headers(rig, body))
    assert status == 200
    assert await rig.snapshot() == before


async def test_the_fuzzed_updates_reached_the_inbox_and_were_all_handled(
    rig: Rig, tracebacks: Tracebacks
) -> None:
    """Runs last: the bodies above were not all refused at the door (the property would
    then say nothing), and nothing is left stored but unhandled."""
    async with rig.reader.connect() as conn:
        rows = await conn.execute(text("SELECT channel, kind, COUNT(*) FROM inbound "
                                       "GROUP BY 1, 2"))
        stored = {(channel, kind): count for channel, kind, count in rows.all()}
    assert {channel for channel, _ in stored} == {"telegram", "vk", "viber"}, stored
    assert sum(stored.values()) >= 20, stored
    assert await rig.inbound_unhandled() == 0
    assert not tracebacks.records, tracebacks.first()
