"""Inbound trust (issue 16, item 4) through the real Suite, WebServer and adapters against
the sandbox, with Telegram and VK in webhook modes and Viber calling back:

- forged, unsigned and wrongly addressed requests on every endpoint `rupor run` serves
  (/webhooks/telegram, /webhooks/vk, /webhooks/viber, /media/<sha>, /healthz, /metrics)
  are refused and change no row of any table;
- a signed update the platform sent, delivered ten more times (a platform's retries, or a
  captured request replayed), changes the state once: a member's message on each
  messenger, a button press (the consent question), a vote on each messenger (Telegram
  poll_answer, VK message_event, Viber's reply button), the /post dialogue's
  «✅ Отправить». The calls are recorded by a front between the platforms and our server
  ([server] public_url points at it), so what is replayed is exactly what was signed.

test_subscriptions_guard.py covers a subscription's update retried once and a kill
simulated in-process; test_inbound_kill.py kills a real `rupor run` child.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio

from bots.texts import DIALOG
from sandbox.runner import VIBER_TOKEN
from sandbox.union import Actor
from tests.e2e.chat_support import make_press, press, say
from tests.e2e.poll_support import (
    YOUNG_UNION,
    got_poll,
    poll_recorded,
    start_poll,
    tallies,
    young_teacher,
)
from tests.e2e.subs_support import TG_SECRET, VK_SECRET, WEBHOOKS, Rig, answer, wait_for
from tests.e2e.test_subscriptions_guard import (
    TG_HEADER,
    telegram_text,
    viber_signed,
    viber_text,
    vk_start,
)
from tests.e2e.trust_support import Call, RecordingFront, changed, picture, row_counts

REPLAYS = 10
HOOKS = {c: f"/webhooks/{c}" for c in ("telegram", "vk", "viber")}


def db_path(db_url: str) -> Path:
    return Path(db_url.removeprefix("sqlite:///"))


async def request(method: str, url: str, body: bytes = b"",
                  headers: dict[str, str] | None = None) -> int:
    async with (aiohttp.ClientSession() as http,
                http.request(method, url, data=body, headers=headers or {}) as answer):
        await answer.read()
        return answer.status


@pytest_asyncio.fixture
async def fronted(tmp_path: Path, db_url: str) -> AsyncIterator[tuple[Rig, RecordingFront]]:
    """A rig (webhook modes, young teachers) whose platforms reach it through the front."""
    rig = await Rig.open(tmp_path, db_url, WEBHOOKS, YOUNG_UNION)
    front = RecordingFront(f"http://127.0.0.1:{rig.settings.server.port}")
    url = await front.start()
    server = rig.settings.server.model_copy(update={"public_url": url})
    rig.settings = rig.settings.model_copy(update={"server": server})

    def ready() -> bool:  # VK confirmed the callback server at the front's address
        servers = rig.sandbox.vk.world.callbacks.servers.values()
        return any(s.url == url + HOOKS["vk"] and s.status == "ok" for s in servers)

    rig._webhooks_ready = ready  # type: ignore[method-assign]
    try:
        yield rig, front
    finally:
        await rig.close()
        await front.close()


# --- Forged and unsigned ------------------------------------------------------------------


async def quiet(path: Path, look: Callable[[Path], Any] = row_counts,
                seconds: float = 1.0) -> Any:
    """`look` at the database once it stays the same for `seconds`: the suite's own writes
    (senders registering, the staff desk's first round, a reply's result) are done."""
    seen: list[tuple[float, Any]] = []

    def steady() -> Any:
        now, found = time.monotonic(), look(path)
        if not seen or seen[0][1] != found:
            seen[:] = [(now, found)]
        return found if now - seen[0][0] >= seconds else None

    return await wait_for(steady, "the suite's own writes to end", timeout=30)


def forgeries(rig: Rig, victims: dict[str, Actor], sha: str) -> list[tuple[str, str, bytes,
                                                                            dict[str, str]]]:
    """(method, path, body, headers) of calls nobody but the platform may make, and calls
    that must not change anything whoever makes them."""
    start = telegram_text(victims["telegram"], 900_001, "/start")
    vk_json = {"Content-Type": "application/json"}
    group = rig.sandbox.vk.knobs.group_id
    hello = viber_text(rig, victims["viber"], 800_001, "rupor:start:")
    other = viber_text(rig, victims["viber"], 800_002, "rupor:start:")
    calls = [
        ("POST", HOOKS["telegram"], start, {}),
        ("POST", HOOKS["telegram"], start, {TG_HEADER: TG_SECRET + "x"}),
        ("POST", HOOKS["telegram"], start, {TG_HEADER: ""}),
        ("POST", HOOKS["telegram"], start, {TG_HEADER: TG_SECRET.upper()}),
        ("POST", HOOKS["telegram"], b"\xff" * 64, {}),
        ("POST", HOOKS["vk"], vk_start(rig, victims["vk"], "wrong"), vk_json),
        ("POST", HOOKS["vk"], vk_start(rig, victims["vk"], None), vk_json),
        ("POST", HOOKS["vk"], vk_start(rig, victims["vk"], VK_SECRET, group=1), vk_json),
        ("POST", HOOKS["vk"], json.dumps({"type": "confirmation", "group_id": group + 1})
         .encode(), vk_json),
        ("POST", HOOKS["vk"], b"not json", vk_json),
        ("POST", HOOKS["viber"], hello, {}),
        ("POST", HOOKS["viber"], hello, viber_signed(hello, "not-the-token")),
        ("POST", HOOKS["viber"], hello, viber_signed(other)),
        ("POST", HOOKS["viber"], hello, {"X-Viber-Content-Signature": "00" * 32}),
        ("POST", HOOKS["viber"], hello, viber_signed(hello, VIBER_TOKEN + " ")),
        ("POST", "/webhooks/max", start, {}),
        ("POST", HOOKS["telegram"], b"x" * (1024 * 1024 + 1), {TG_HEADER: TG_SECRET}),
    ]
    for path in HOOKS.values():
        calls += [(method, path, start, {}) for method in ("GET", "PUT", "DELETE")]
    for path in (f"/media/{sha}", "/media/../healthz", "/healthz", "/metrics"):
        calls += [(method, path, start, {TG_HEADER: TG_SECRET})
                  for method in ("POST", "PUT", "PATCH", "DELETE")]
    return calls


async def test_forged_and_unsigned_requests_change_no_row(
    fronted: tuple[Rig, RecordingFront], db_url: str
) -> None:
    rig, _ = fronted
    await rig.start()
    victims = {p: rig.newcomer(p) for p in HOOKS}
    base = rig.base_url
    before = await quiet(db_path(db_url))
    refused = []
    for method, path, body, headers in forgeries(rig, victims, "a" * 64):
        status = await request(method, base + path, body, headers)
        refused.append((method, path, status))
    assert all(400 <= status < 500 for _, _, status in refused), refused
    for path in ("/healthz", "/metrics"):  # reading stays allowed, and changes nothing
        assert await request("GET", base + path) in (200, 503)
    assert row_counts(db_path(db_url)) == before
    assert all(not victim.chat() for victim in victims.values())
    assert len(refused) >= 40


# --- The same update, again and again -----------------------------------------------------


async def replay(rig: Rig, call: Call, db_url: str, *, counts_only: bool = False) -> None:
    """Deliver `call` REPLAYS more times: each answered 200, no row of any table changed
    (`counts_only`: no row added or removed, while a campaign's sending changes rows)."""
    look = row_counts if counts_only else picture
    before = await quiet(db_path(db_url), look, 0.5)
    for _ in range(REPLAYS):
        status = await request("POST", rig.base_url + call.path, call.body, call.headers)
        assert status == 200, (call.path, status)
    after: Any = look(db_path(db_url))
    assert after == before, (call.path, changed(before, after) if not counts_only else after)


def runs_open(db_url: str) -> int:
    with sqlite3.connect(db_path(db_url), timeout=30) as conn:
        found = conn.execute("SELECT COUNT(*) FROM campaign_runs WHERE status != 'done'")
        return int(found.fetchone()[0])


def one(found: list[Call], what: str) -> Call:
    assert len(found) == 1, (what, [c.json() for c in found])
    return found[0]


def is_text(marker: str) -> Callable[[Any], bool]:
    def pick(body: Any) -> bool:
        return marker in json.dumps(body, ensure_ascii=False)
    return pick


async def message_replayed(rig: Rig, front: RecordingFront, actor: Actor, db_url: str
                           ) -> None:
    words = f"Вопрос про отпуск ({actor.platform})"
    mark = len(front.calls)
    await answer(actor, lambda: actor.say(words), contains="Спасибо")
    call = one(front.since(mark, HOOKS[actor.platform], is_text(words)), words)
    lines = len(actor.chat())
    await replay(rig, call, db_url)
    assert len(actor.chat()) == lines


async def test_ten_deliveries_of_one_update_change_the_state_once(
    fronted: tuple[Rig, RecordingFront], db_url: str
) -> None:
    rig, front = fronted
    voters = {p: young_teacher(rig, p) for p in HOOKS}
    newcomer, secretary = rig.newcomer("telegram"), rig.subscriber("telegram")
    await make_press(rig, secretary)
    await rig.start()
    for actor in voters.values():
        await message_replayed(rig, front, actor, db_url)

    mark = len(front.calls)  # a button press: the consent question's «да»
    await answer(newcomer, lambda: newcomer.start(None), contains="согласие")
    await answer(newcomer, lambda: newcomer.press(DIALOG.consent_yes), contains="район")
    await replay(rig, one(front.since(mark, HOOKS["telegram"],
                                      lambda b: "callback_query" in b), "press"), db_url)

    poll_id = await start_poll(rig, "Когда провести собрание?", timedelta(hours=1))
    for actor in voters.values():
        await got_poll(actor, "Когда провести собрание?")
        await poll_recorded(rig, actor, poll_id)
    await wait_for(lambda: row_counts(db_path(db_url))["campaign_runs"] == 1 and not runs_open(
        db_url), "the poll's run to finish")  # its end is the suite's own write
    picks = {"telegram": lambda b: "poll_answer" in b,
             "vk": lambda b: b.get("type") == "message_event",
             "viber": lambda b: b.get("event") == "message"}
    for count, (platform, actor) in enumerate(voters.items(), start=1):
        mark = len(front.calls)
        actor.vote(1)
        await tallies(rig, poll_id, voters=count, counts=(count, 0))
        await replay(rig, one(front.since(mark, HOOKS[platform], picks[platform]), platform),
                     db_url)
    await tallies(rig, poll_id, voters=3, counts=(3, 0))

    await say(secretary, "/post", contains="Пришлите текст")
    await say(secretary, "Собрание в пятницу в 15:00", contains="Кому отправить")
    await press(secretary, "Весь регион", contains="Когда отправить")
    await press(secretary, "Сейчас", contains="Отправить?")
    mark = len(front.calls)
    await press(secretary, "✅ Отправить", contains="Рассылка №")
    confirm = one(front.since(mark, HOOKS["telegram"], lambda b: "callback_query" in b),
                  "«Отправить»")
    await replay(rig, confirm, db_url, counts_only=True)
    assert row_counts(db_path(db_url))["campaigns"] == 2  # the poll's and the leaflet's
