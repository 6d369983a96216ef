"""Platform faults while Telegram, VK and Viber send one campaign at once (issue 16, item 2):
storms of 5xx and 429 on two channels, one channel down, a token revoked mid-run. The other
channels keep their pace, nothing is lost, and a channel that stops working is told once in
the bound staff chat (a Telegram group) and once when it works again, by itself.

test_faults.py covers each fault on its own; here they hit some channels while the others
send. Pace is Telegram's: at its default ceiling of 30 messages a second it sends ~300
members for ~10 s, measured from the emulator's own count of accepted messages. VK (100
members a call) and Viber (300 a call) send a union this size in a call or two, so for them
"their pace" is: done while the other channel is still failing.

"Minutes" down or revoked are compressed to DOWN_S = 25 s: longer than a delivery's whole
retry budget here (retry_backoff_seconds = 1: attempts at 0, 1, 3, 7, 15 s), so a sender
that charged the outage to each delivery would have failed every member of that channel.
Probes and restarts are retried every 0.2-1 s (the production backoff is 1-60 s).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import pytest_asyncio

from bots.startup import Backoff, ChannelState
from bots.suite import Suite
from core.campaigns.store import NewCampaign
from core.sending.outage import ProbeBackoff
from core.staff.binding import bind
from core.storage.engine import create_engine
from sandbox.runner import TELEGRAM_TOKEN, SandboxOptions
from sandbox.union import Union
from tests.e2e.rig import CHANNELS, Rig, eventually, import_members_file, open_rig, post

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.long]

MEMBERS, SEED = 600, 5
TEXT = "Профком: с 1 декабря — новые размеры материальной помощи. Подробности в листке."
DOWN_S = 25.0
WAIT_S = 90.0
CEILING = 30  # Telegram's default [sending] telegram_ceiling
PACE_SHARE = 0.75  # of the ceiling; alone it keeps ~0.9 (docs/design.md, Pacing)
SENDING = {"retry_backoff_seconds": 1.0}
START = Backoff(first_s=0.2, max_s=1.0)
PROBE = ProbeBackoff(first_s=0.2, max_s=1.0)
DONE = ("sent", "delivered", "read")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("outages-template")
    knobs = SandboxOptions(seed=SEED, members=MEMBERS).union_knobs()
    members = Union.generate(knobs).write_members_csv(workdir / "members.csv")
    database = workdir / "template.sqlite3"
    await import_members_file(f"sqlite:///{database}", members)
    return database


@pytest_asyncio.fixture(loop_scope="module")
async def rig(template: Path, tmp_path: Path) -> AsyncIterator[Rig]:
    shutil.copyfile(template, tmp_path / "rupor.sqlite3")
    made = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=MEMBERS, seed=SEED,
                          sending=SENDING)
    yield made
    await made.close()


async def bind_staff_group(rig: Rig) -> int:
    """A Telegram staff group with the bot in it, bound before the suite starts."""
    telegram = rig.sandbox.telegram
    _, account = next(rig.accounts("telegram"))  # a member of the union's staff, say
    staff = int(account.external_id)
    group = telegram.add_group("Аппарат крайкома", member_ids=[staff])
    telegram.add_bot_to_group(TELEGRAM_TOKEN, group, added_by=staff)
    engine = create_engine(rig.db_url)
    try:
        async with engine.begin() as conn:
            await bind(conn, "telegram", str(group), "Аппарат крайкома")
    finally:
        await engine.dispose()
    return group


def staff_news(rig: Rig, group: int, marker: str) -> list[str]:
    log = rig.sandbox.telegram.chat_log(TELEGRAM_TOKEN, group)
    return [m["text"] for m in log if marker in (m.get("text") or "")]


class Pace:
    """Telegram's accepted messages over time, sampled while the campaign goes out."""

    def __init__(self, rig: Rig) -> None:
        self.rig, self.samples = rig, list[tuple[float, int]]()
        self.task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            accepted = self.rig.sandbox.telegram.stats()["accepted_messages_total"]
            self.samples.append((time.monotonic(), int(accepted)))
            await asyncio.sleep(0.1)

    async def per_second(self) -> float:
        """Messages a second between 10 % and 90 % of what was sent (the steady part)."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        total = self.samples[-1][1]
        start = next(s for s in self.samples if s[1] >= total * 0.1)
        end = next(s for s in self.samples if s[1] >= total * 0.9)
        assert end[0] > start[0] + 3, f"too few Telegram sends to measure: {total}"
        return (end[1] - start[1]) / (end[0] - start[0])


def run_left(rig: Rig, run_id: int, *channels: str) -> int:
    marks = ",".join("?" * len(channels))
    return int(rig.query(
        f"SELECT COUNT(*) FROM deliveries WHERE run_id = ? AND channel IN ({marks}) "
        "AND status IN ('pending', 'claimed')", run_id, *channels)[0][0])


def once_each(rig: Rig, channel: str) -> tuple[int, list[tuple[str, str]]]:
    """(active accounts on `channel`, those that do not hold exactly one bot message)."""
    received = rig.received()
    active = [k for k in received if k[0] == channel and rig.state(k) == "active"]
    return len(active), [k for k in active if received[k] != 1]


def failed_rows(rig: Rig) -> int:
    return int(rig.query("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'")[0][0])


@asynccontextmanager
async def running(rig: Rig) -> AsyncIterator[Suite]:
    stop = asyncio.Event()
    suite = Suite(rig.settings(), start_backoff=START, probe_backoff=PROBE)
    task = asyncio.create_task(suite.run(stop))
    try:
        await eventually(lambda: len(suite.senders) == 3 and all(
            s.sender_id for s in suite.senders.values()) or task.done(), WAIT_S,
            "the senders are running")
        assert not task.done()
        yield suite
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_S)


async def healthz(suite: Suite) -> tuple[int, dict[str, Any]]:
    assert suite.server is not None
    url = f"http://127.0.0.1:{suite.server.port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        return answer.status, await answer.json()


async def campaign(rig: Rig, suite: Suite) -> tuple[int, Pace]:
    _, run_id = await post(rig, NewCampaign(text=TEXT, title="Материальная помощь"))
    pace = Pace(rig)
    for sender in suite.senders.values():
        sender.wake()
    return run_id, pace


async def assert_telegram_kept_its_pace(rig: Rig, run_id: int, pace: Pace) -> None:
    await eventually(lambda: run_left(rig, run_id, "telegram") == 0, WAIT_S, "Telegram done")
    rate = await pace.per_second()
    assert rate >= PACE_SHARE * CEILING, f"Telegram sent {rate:.1f}/s beside the fault"
    active, wrong = once_each(rig, "telegram")
    assert active > 200 and wrong == [], wrong[:5]


def set_viber(rig: Rig, **knobs: Any) -> None:
    platform = rig.sandbox.viber._platform  # no set_faults on Viber (see test_faults)
    platform.knobs = replace(platform.knobs, **knobs)


async def storms(rig: Rig) -> None:
    """VK: its first calls answer 5xx (error 10 or a bare 502), then 10 % of them; Viber:
    its first three requests answer 429, then every other one. VK and Viber send this
    union in a few calls, so a plain 10 % might never strike."""
    rig.sandbox.vk.set_faults(p_5xx=1.0, http_5xx_share=0.5)
    set_viber(rig, p_429=1.0, fault_retry_window_s=1.0)
    vk_done = viber_done = False
    while not (vk_done and viber_done):
        stats = rig.stats()
        if not vk_done and sum(stats["vk"]["faults_injected"].values()) >= 2:
            rig.sandbox.vk.set_faults(p_5xx=0.1)
            vk_done = True
        if not viber_done and stats["viber"]["faults_injected"]["status_12"] >= 3:
            set_viber(rig, p_429=0.5)
            viber_done = True
        await asyncio.sleep(0.002)


async def test_5xx_on_vk_and_a_429_storm_on_viber_leave_telegram_its_pace(rig: Rig) -> None:
    group = await bind_staff_group(rig)
    async with running(rig) as suite:
        storming = asyncio.create_task(storms(rig))
        run_id, pace = await campaign(rig, suite)
        await asyncio.wait_for(storming, WAIT_S)
        await eventually(lambda: run_left(rig, run_id, "vk", "viber") == 0, WAIT_S,
                         "VK and Viber through their storms")
        await assert_telegram_kept_its_pace(rig, run_id, pace)
        stats = rig.stats()
        assert all(stats[c]["violations"] == 0 for c in CHANNELS), stats
    for channel in ("vk", "viber"):
        active, wrong = once_each(rig, channel)
        assert active > 50 and wrong == [], (channel, wrong[:5], rig.ledger())
    assert failed_rows(rig) == 0, rig.ledger()
    assert not staff_news(rig, group, "не работает")  # a storm is no outage


async def test_viber_down_for_a_while_is_told_once_and_resumes_by_itself(rig: Rig) -> None:
    group = await bind_staff_group(rig)
    viber = rig.sandbox.viber
    port = urlsplit(rig.config.viber_api_base).port
    async with running(rig) as suite:
        await viber.close()  # Viber's API goes away while `rupor run` runs
        down_at = time.monotonic()
        run_id, pace = await campaign(rig, suite)
        await eventually(lambda: bool(staff_news(rig, group, "Viber не работает")), WAIT_S,
                         "the outage told in the staff chat")
        status, body = await healthz(suite)
        assert status == 503 and body["channels"]["viber"]["state"] == "failed", body
        assert suite.status()["viber"].cause == "network"
        await eventually(lambda: run_left(rig, run_id, "vk") == 0, WAIT_S, "VK done")
        await assert_telegram_kept_its_pace(rig, run_id, pace)
        # The outage itself lasts DOWN_S (a scenario's length, not a wait for work).
        await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - down_at)))
        assert failed_rows(rig) == 0, rig.ledger()
        assert run_left(rig, run_id, "viber") > 50  # waiting, not failed
        await viber.start(host="127.0.0.1", port=port)
        await eventually(lambda: run_left(rig, run_id, "viber") == 0, WAIT_S, "Viber resumed")
        await eventually(lambda: bool(staff_news(rig, group, "Viber снова работает")), WAIT_S,
                         "the recovery told")
        assert suite.status()["viber"].state == ChannelState.RUNNING
    assert len(staff_news(rig, group, "Viber не работает")) == 1
    assert len(staff_news(rig, group, "Viber снова работает")) == 1
    for channel in CHANNELS:
        active, wrong = once_each(rig, channel)
        assert wrong == [], (channel, wrong[:5], rig.ledger())
    assert failed_rows(rig) == 0, rig.ledger()


def revoke(rig: Rig, channel: str) -> Callable[[], None]:
    """Make the emulator refuse the bot's token on every call; returns the undo.

    Telegram answers 401 for a token it does not know, VK error 5 and Viber status 2
    (invalid auth token): the token is taken out of the emulator's registry (VK) or the
    account's token changed (Viber), as a revoke in the platform's settings would."""
    if channel == "vk":
        assert rig.settings().vk is not None
        value = rig.settings().vk.token  # type: ignore[union-attr]
        tokens = rig.sandbox.vk.world.tokens
        token = tokens.pop(value)
        return lambda: tokens.__setitem__(value, token)
    platform = rig.sandbox.viber._platform
    kept = platform.knobs

    def undo() -> None:
        platform.knobs = replace(platform.knobs, auth_token=kept.auth_token)

    platform.knobs = replace(kept, auth_token="revoked-in-the-admin-panel")
    return undo


@pytest.mark.parametrize("channel", ["vk", "viber"])
async def test_a_token_revoked_mid_run_waits_without_failing_anyone(rig: Rig,
                                                                  channel: str) -> None:
    group = await bind_staff_group(rig)
    title = {"vk": "ВКонтакте", "viber": "Viber"}[channel]
    async with running(rig) as suite:
        undo = revoke(rig, channel)
        revoked_at = time.monotonic()
        run_id, pace = await campaign(rig, suite)
        marker = f"{title} не работает"
        await eventually(lambda: bool(staff_news(rig, group, marker)), WAIT_S, "told")
        news = staff_news(rig, group, marker)[0]
        assert "токен не принят" in news and f"[{channel}]" in news, news
        status, body = await healthz(suite)
        assert status == 503 and body["channels"][channel]["state"] == "failed", body
        await assert_telegram_kept_its_pace(rig, run_id, pace)
        # The outage itself lasts DOWN_S (a scenario's length, not a wait for work).
        await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - revoked_at)))
        assert failed_rows(rig) == 0, rig.ledger()
        assert run_left(rig, run_id, channel) > 50
        contacts = rig.contact_status()
        assert not [k for k, s in contacts.items() if k[0] == channel and s != "active"
                    and rig.state(k) == "active"]  # nobody marked blocked or unsubscribed
        undo()
        await eventually(lambda: run_left(rig, run_id, channel) == 0, WAIT_S, "resumed")
        back = f"{title} снова работает"
        await eventually(lambda: bool(staff_news(rig, group, back)), WAIT_S, "the recovery told")
        assert (await healthz(suite))[0] == 200
    assert len(staff_news(rig, group, f"{title} не работает")) == 1
    assert len(staff_news(rig, group, f"{title} снова работает")) == 1
    active, wrong = once_each(rig, channel)
    assert active > 50 and wrong == [], (wrong[:5], rig.ledger())
    assert failed_rows(rig) == 0, rig.ledger()
