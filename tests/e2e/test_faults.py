"""Faults injected into the emulators while the whole suite sends: random 429s, 5xx answers,
and answers lost after the platform accepted the message ("uncertain" sends).

The suite runs in this process with two test-only changes made through its composition root:
HTTP timeouts of 1 s (deps.http_timeout_s; no setting exposes it) and retry backoff from
0.1 s (Policy.backoff_base_s; no setting either), so lost answers and retries take seconds.
Faults are switched on once the senders run (so channel start-up calls are not hit) and
before the campaign is posted; the suite picks the run up like one posted by `rupor post`.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bots.suite import Suite
from core.campaigns.store import NewCampaign
from core.reach.report import reach_report
from core.storage.engine import create_engine
from sandbox.runner import SandboxOptions
from sandbox.union import Union
from tests.e2e.front import FlakyFront
from tests.e2e.rig import (
    CHANNELS,
    Key,
    Rig,
    eventually,
    import_members_file,
    open_rig,
    post,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# About 75 on Telegram (the adapter's connection pool is larger than the core's calls in
# flight: tests/integration/test_telegram_adapter.py).
MEMBERS, SEED = 150, 3
TEXT = "Профком напоминает: заявления на путёвки принимаются до 20-го."
HTTP_TIMEOUT_S = 1.0
SEND_TIMEOUT_S = 60.0
# Where each emulator counts what it injected.
INJECTED: dict[str, dict[str, str]] = {
    "telegram": {"p_429": "429", "p_5xx": "5xx", "p_timeout": "timeouts"},
    "vk": {"p_5xx": "error_10", "p_timeout": "timeout"},
    "viber": {"p_5xx": "5xx", "p_timeout": "timeouts"},
}


def set_faults(rig: Rig, channel: str, **knobs: Any) -> None:
    if channel != "viber":
        getattr(rig.sandbox, channel).set_faults(**knobs)
        return
    # ViberEmulator has no set_faults (the Telegram and VK emulators do); its server reads
    # the fault knobs from the platform state on every request.
    platform = rig.sandbox.viber._platform
    platform.knobs = replace(platform.knobs, **knobs)


def injected(rig: Rig, channel: str, knob: str) -> int:
    counts = rig.stats()[channel]["faults_injected"]
    return int(counts.get(INJECTED[channel][knob], 0))


async def cap_faults(rig: Rig, caps: dict[str, int], knob: str) -> None:
    """Switch `knob` off on each channel once it has injected its quota."""
    left = dict(caps)
    while left:
        for channel in [c for c, quota in left.items() if injected(rig, c, knob) >= quota]:
            set_faults(rig, channel, **{knob: 0.0})
            del left[channel]
        await asyncio.sleep(0.002)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("faults-template")
    knobs = SandboxOptions(seed=SEED, members=MEMBERS).union_knobs()
    members = Union.generate(knobs).write_members_csv(workdir / "members.csv")
    database = workdir / "template.sqlite3"
    await import_members_file(f"sqlite:///{database}", members)
    return database


@pytest.fixture
def quick_failures() -> None:
    """Short answers and retries come from the settings (see make_rig)."""


async def make_rig(template: Path, workdir: Path, **sending: Any) -> Rig:
    shutil.copyfile(template, workdir / "rupor.sqlite3")
    sending = {"telegram_ceiling": 1000, "http_timeout_seconds": HTTP_TIMEOUT_S,
               "retry_backoff_seconds": 0.1, **sending}
    return await open_rig(workdir, workdir / "rupor.sqlite3", members=MEMBERS, seed=SEED,
                          sending=sending)


async def broadcast(rig: Rig, inject: Callable[[], None],
                    new: NewCampaign | None = None) -> tuple[int, int]:
    """Start the suite, inject faults, post; return (campaign, run) once nothing is left."""
    stop = asyncio.Event()
    suite = Suite(rig.settings())
    running = asyncio.create_task(suite.run(stop))
    try:
        await eventually(lambda: len(suite.senders) == 3
                         and all(s.sender_id for s in suite.senders.values()), 60,
                         "the senders are running")
        inject()
        campaign_id, run_id = await post(rig, new or NewCampaign(text=TEXT))
        for sender in suite.senders.values():
            sender.wake()
        await eventually(lambda: rig.query(
            "SELECT COUNT(*) FROM deliveries WHERE run_id = ? AND status IN "
            "('pending', 'claimed')", run_id) == [(0,)], SEND_TIMEOUT_S, "all sent")
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    return campaign_id, run_id


def active(rig: Rig, received: Counter[Key], channel: str | None = None) -> list[Key]:
    return [k for k in received if rig.state(k) == "active" and channel in (None, k[0])]


@pytest_asyncio.fixture(loop_scope="module")
async def rig_factory(template: Path, tmp_path: Path,
                      quick_failures: None) -> AsyncIterator[Callable[..., Any]]:
    made: list[Rig] = []

    async def factory(**sending: Any) -> Rig:
        made.append(await make_rig(template, tmp_path, **sending))
        return made[-1]

    yield factory
    for rig in made:
        await rig.close()


async def test_random_429s_are_waited_out_without_a_request_inside_the_window(
    rig_factory: Callable[..., Any]
) -> None:
    rig: Rig = await rig_factory()
    await broadcast(rig, lambda: set_faults(rig, "telegram", p_429=0.2))
    received = rig.received()
    assert all(received[k] == 1 for k in active(rig, received)), rig.ledger()
    telegram = rig.stats()["telegram"]
    assert telegram["faults_injected"]["429"] >= 3
    assert telegram["violations"] == 0, telegram["violations_by_scope"]
    assert rig.query("SELECT COUNT(*) FROM deliveries WHERE status = 'sent' "
                     "AND channel = 'telegram'")[0][0] == len(active(rig, received, "telegram"))


@pytest.mark.parametrize("channel", CHANNELS)
async def test_5xx_answers_are_retried_until_delivered(
    rig_factory: Callable[..., Any], channel: str
) -> None:
    rig: Rig = await rig_factory(max_attempts=20)
    knobs: dict[str, float] = {"p_5xx": 0.3}
    if channel == "vk":
        knobs = {"p_5xx": 0.6, "http_5xx_share": 0.5}  # error 10 and bare HTTP 502
    await broadcast(rig, lambda: set_faults(rig, channel, **knobs))
    received = rig.received()
    assert all(received[k] == 1 for k in active(rig, received)), rig.ledger()
    faults = rig.stats()[channel]["faults_injected"]
    assert sum(faults.values()) > 0, faults
    [(retried, failed)] = rig.query(
        "SELECT SUM(attempts > 1), SUM(status = 'failed') FROM deliveries WHERE channel = ?",
        channel)
    assert retried > 0 and failed == 0


async def timeouts_broadcast(rig: Rig) -> tuple[int, int, dict[str, int]]:
    """Lost answers: 4 Telegram sends, the first VK call and the first Viber broadcast."""
    quotas = {"telegram": 4, "vk": 1, "viber": 1}
    capper: asyncio.Task[None] | None = None

    def inject() -> None:
        nonlocal capper
        for channel, p in (("telegram", 0.2), ("vk", 1.0), ("viber", 1.0)):
            set_faults(rig, channel, p_timeout=p, hang_s=3.0)
        capper = asyncio.create_task(cap_faults(rig, quotas, "p_timeout"))

    try:
        campaign_id, run_id = await broadcast(rig, inject)
    finally:
        if capper is not None:
            capper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await capper
    return campaign_id, run_id, {c: injected(rig, c, "p_timeout") for c in CHANNELS}


async def flagged_in_report(rig: Rig, campaign_id: int) -> Counter[str]:
    engine = create_engine(rig.db_url, readonly=True)
    try:
        report = await reach_report(engine, campaign_id)
    finally:
        await engine.dispose()
    assert report is not None
    return report.total.counts


def flagged_people(rig: Rig, run_id: int) -> int:
    return int(rig.query("SELECT COUNT(DISTINCT person_id) FROM deliveries WHERE run_id = ? "
                         "AND (was_uncertain OR status = 'uncertain')", run_id)[0][0])


async def test_lost_answers_are_resent_and_flagged_never_twice_on_vk(
    rig_factory: Callable[..., Any]
) -> None:
    rig: Rig = await rig_factory(uncertain_policy="resend")
    campaign_id, run_id, timeouts = await timeouts_broadcast(rig)
    assert timeouts["telegram"] >= 4 and timeouts["vk"] >= 1 and timeouts["viber"] >= 1
    received, ledger = rig.received(), rig.deliveries(run_id)
    for channel in CHANNELS:
        keys = active(rig, received, channel)
        assert all(ledger[k][0] == "sent" and received[k] >= 1 for k in keys), channel
        twice = {k for k in keys if received[k] > 1}
        flagged = {k for k in keys if ledger[k][2]}
        assert flagged, f"{channel}: no delivery was flagged uncertain"
        if channel == "vk":
            assert twice == set(), "VK got a message twice despite its random_id"
            assert rig.stats()["vk"]["random_id_dedups"] >= len(flagged)
        else:
            # At least once: every send whose answer was lost arrived twice, and is flagged.
            assert twice == flagged, channel
    extra = sum(received[k] - 1 for k in active(rig, received, "telegram"))
    assert extra == timeouts["telegram"]  # one extra copy per lost answer, no more
    counts = await flagged_in_report(rig, campaign_id)
    assert counts["flagged"] == flagged_people(rig, run_id) > 0
    assert counts["uncertain"] == 0


async def test_lost_answers_are_held_as_uncertain_and_never_sent_twice(
    rig_factory: Callable[..., Any]
) -> None:
    rig: Rig = await rig_factory(uncertain_policy="hold")
    campaign_id, run_id, timeouts = await timeouts_broadcast(rig)
    received, ledger = rig.received(), rig.deliveries(run_id)
    assert all(n <= 1 for n in received.values()), "someone got it twice under 'hold'"
    held = {k for k, (status, _, _) in ledger.items() if status == "uncertain"}
    assert len({k for k in held if k[0] == "telegram"}) == timeouts["telegram"]
    assert any(k[0] == "viber" for k in held)
    # The platform had accepted them (a blocked member in a lost Viber broadcast was not).
    assert all(received[k] == 1 for k in held if rig.state(k) == "active")
    # VK drops a repeated random_id, so its lost answers are re-sent even under "hold".
    vk = active(rig, received, "vk")
    assert all(ledger[k][0] == "sent" and received[k] == 1 for k in vk)
    assert any(ledger[k][2] for k in vk)
    counts = await flagged_in_report(rig, campaign_id)
    [(only_uncertain,)] = rig.query(
        "SELECT COUNT(*) FROM (SELECT person_id FROM deliveries WHERE run_id = ? "
        "GROUP BY person_id HAVING SUM(status = 'uncertain') > 0 "
        "AND SUM(status IN ('sent', 'delivered', 'read')) = 0)", run_id)
    assert counts["uncertain"] == only_uncertain > 0
    assert counts["flagged"] == flagged_people(rig, run_id)


async def test_a_leaflet_viber_could_not_download_once_is_sent_again(
    rig_factory: Callable[..., Any]
) -> None:
    rig: Rig = await rig_factory()
    front = FlakyFront(f"http://{rig.config.server_host}:{rig.config.server_port}")
    rig.public_url = await front.start()
    try:
        leaflet = resources.files("bots") / "assets" / "leaflet.pdf"
        with resources.as_file(leaflet) as path:
            await broadcast(rig, lambda: None, NewCampaign(text=TEXT, media_path=path))
        assert front.refused == 1 and front.forwarded > 0
        received = rig.received()
        missing = [k for k in active(rig, received, "viber") if received[k] != 2]
        assert missing == [], f"{len(missing)} Viber members never got it\n{rig.ledger()}"
    finally:
        await front.close()
