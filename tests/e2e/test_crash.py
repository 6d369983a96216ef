"""kill -9 in the middle of a broadcast, then `rupor run --until-idle`: nobody is lost, VK
gets nothing twice, and what Telegram and Viber got twice is bounded and flagged.

The emulators run in this process and the `rupor` commands in child processes that only
know the emulators' URLs, so a listener on an emulator can kill the sender the moment the
platform has accepted a given message, and the tests can see every chat afterwards.

The bound on duplicates: a delivery can reach a member twice only when the platform accepted
it but the killed process had not yet recorded the result — such a row is still `claimed` at
the kill. So the members who got it twice must be a subset of the rows claimed at the kill,
and those rows are at most two waves per channel (core/sending/dispatch.py: Telegram 2 x 15 at
30/s); each is recovered as uncertain, so every duplicate is flagged. Conversely every row
claimed at the kill whose message the member already had must have been sent again (the
"resend" policy) on Telegram and Viber, and dropped by VK's random_id.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bots.registry import capabilities
from core.campaigns.store import NewCampaign, create_campaign
from core.ports import Capabilities
from core.reach.report import reach_report
from core.sending.dispatch import MAX_WAVE, WAVE_S
from core.storage.engine import create_engine
from sandbox.union import Union, UnionKnobs
from tests.e2e.processes import Job, Launcher
from tests.e2e.rig import CHANNELS, Key, Rig, eventually, import_members_file, open_rig

pytestmark = pytest.mark.asyncio(loop_scope="module")

# About 1,500 on VK, 1,500 on Viber and 120 on Telegram (Telegram's 30/s makes the sending
# last about four seconds), some on two messengers, some who left.
UNION = UnionKnobs(seed=7, districts=3, schools=30, members=3200, staff=0,
                   share_telegram=0.02, share_vk=0.47, share_viber=0.47, share_two=0.04,
                   share_none=0.0)
TEXT = "**Важно:** профсоюзное собрание переносится на пятницу, 16:00."
RUN_TIMEOUT_S = 90.0
MATERIALISE = "tests.e2e.materialise_child:main"


@dataclass
class KillSwitch:
    """An emulator listener: kill -9 the job once the channel has accepted `after` messages."""

    after: int
    job: Job | None = None
    seen: int = 0
    fired: bool = False

    def __call__(self, message: Any) -> None:
        self.seen += 1
        if not self.fired and self.seen >= self.after and self.job is not None:
            self.job.kill()
            self.fired = True


@dataclass(frozen=True)
class AtKill:
    received: dict[Key, int]
    claimed: set[Key]


def in_flight_bound(caps: Capabilities) -> int:
    """Deliveries a sender may hold claimed but unrecorded (core/sending/dispatch.py): whole waves
    of half a second of sending, two of them or enough for one second at the ceiling."""
    per_call = caps.max_recipients_per_call
    calls = max(1, math.ceil(caps.calls_per_second * WAVE_S))
    wave = min(MAX_WAVE // per_call * per_call, calls * per_call)
    calls_per_s = caps.calls_per_second
    if caps.window_calls:
        calls_per_s = min(calls_per_s, caps.window_calls / caps.window_s)
    return wave * max(2, math.ceil(calls_per_s * per_call / wave))


def listen(rig: Rig, channel: str, listener: KillSwitch) -> None:
    emulator: Any = getattr(rig.sandbox, channel)
    emulator.add_bot_message_listener(listener)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def template(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Path]:
    """The union imported once; every test copies the file."""
    workdir = tmp_path_factory.mktemp("crash-template")
    members = Union.generate(UNION).write_members_csv(workdir / "members.csv")
    database = workdir / "template.sqlite3"
    await import_members_file(f"sqlite:///{database}", members)
    yield database


@pytest_asyncio.fixture(loop_scope="module")
async def rig(template: Path, tmp_path: Path) -> AsyncIterator[Rig]:
    shutil.copyfile(template, tmp_path / "rupor.sqlite3")
    made = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", union=UNION)
    yield made
    await made.close()


async def post_now(rig: Rig, launcher: Launcher, base: list[str]) -> tuple[int, int]:
    """`rupor post --now` in a child process; (campaign id, run id) from what it prints."""
    job = await launcher.run([*base, "post", "--text", TEXT, "--to", "all", "--now"],
                             rig.workdir, "post")
    found = re.match(r"Рассылка №(\d+) создана, запуск №(\d+): ", job.stdout())
    assert found, job.output()
    return int(found[1]), int(found[2])


async def kill_while_sending(rig: Rig, launcher: Launcher, base: list[str], run_id: int,
                             channel: str, after: int) -> AtKill:
    switch = KillSwitch(after)
    listen(rig, channel, switch)
    job = await launcher.start([*base, "run"], rig.workdir, "run")
    switch.job = job
    code = await job.wait(RUN_TIMEOUT_S)
    assert switch.fired and code is None, f"not killed ({code})\n{job.output()}"
    ledger = rig.deliveries(run_id)
    claimed = {key for key, (status, _, _) in ledger.items() if status == "claimed"}
    return AtKill(dict(rig.received()), claimed)


def check_nobody_lost(rig: Rig, received: dict[Key, int]) -> None:
    lost = [k for k, n in received.items() if rig.state(k) == "active" and n == 0]
    wrongly = [k for k, n in received.items() if rig.state(k) != "active" and n]
    assert not lost and not wrongly, (len(lost), len(wrongly), rig.ledger())


def check_duplicates(rig: Rig, run_id: int, at_kill: AtKill, received: dict[Key, int]) -> None:
    caps = capabilities(rig.settings())
    ledger = rig.deliveries(run_id)
    for name in CHANNELS:
        claimed = {k for k in at_kill.claimed if k[0] == name}
        assert len(claimed) <= in_flight_bound(caps[name]), (name, len(claimed))
        twice = {k for k, n in received.items() if k[0] == name and n > 1}
        assert all(received[k] == 2 for k in twice), name
        assert all(ledger[k][2] for k in twice), f"{name}: a duplicate is not flagged"
        already_had = {k for k in claimed if at_kill.received.get(k)}
        if name == "vk":
            assert twice == set(), "VK got a message twice"
            assert rig.stats()["vk"]["random_id_dedups"] >= len(already_had)
        else:
            assert twice <= claimed, f"{name}: a duplicate was not in flight at the kill"
            assert already_had <= twice, f"{name}: an uncertain delivery was not re-sent"


async def check_report(rig: Rig, campaign_id: int, run_id: int) -> None:
    engine = create_engine(rig.db_url, readonly=True)
    try:
        report = await reach_report(engine, campaign_id)
    finally:
        await engine.dispose()
    assert report is not None and report.run_id == run_id
    assert report.run_status == "done"
    flagged = rig.query("SELECT COUNT(DISTINCT person_id) FROM deliveries "
                        "WHERE run_id = ? AND was_uncertain", run_id)[0][0]
    total = report.total.counts
    assert total["flagged"] == flagged > 0
    assert total["uncertain"] == total["failed"] == total["in_progress"] == 0
    reached = sum(1 for p in rig.union.people
                  if any(a.listed and rig.state((a.platform, a.external_id)) == "active"
                         for a in p.accounts))
    assert report.total.reached == reached


@pytest.mark.parametrize(("channel", "after"), [
    pytest.param("vk", 500, id="vk-midway"),
    pytest.param("viber", 700, id="viber-midway"),
    pytest.param("telegram", 60, id="telegram-midway"),
])
async def test_kill_9_while_sending_then_restart(
    rig: Rig, launcher: Launcher, channel: str, after: int
) -> None:
    base = ["--config", str(rig.write_config())]
    campaign_id, run_id = await post_now(rig, launcher, base)
    at_kill = await kill_while_sending(rig, launcher, base, run_id, channel, after)
    unsent = {k for k, n in at_kill.received.items() if n == 0 and rig.state(k) == "active"}
    assert unsent, "the kill came after everything was sent"
    await launcher.run([*base, "run", "--until-idle"], rig.workdir, "restart", RUN_TIMEOUT_S)
    received = dict(rig.received())
    check_nobody_lost(rig, received)
    check_duplicates(rig, run_id, at_kill, received)
    await check_report(rig, campaign_id, run_id)
    for name, stats in rig.stats().items():
        assert stats["violations"] == 0, name


async def test_kill_9_while_materialising_then_run_resumes(rig: Rig, launcher: Launcher) -> None:
    """`rupor post` materialises in chunks of 100,000 people, too fast to interrupt here: a
    child process materialises in chunks of 8 people and is killed a third of the way."""
    settings = rig.settings()
    engine = create_engine(rig.db_url)
    try:
        campaign_id = await create_campaign(engine, NewCampaign(text=TEXT),
                                            capabilities(settings))
    finally:
        await engine.dispose()
    top = rig.query("SELECT MAX(id) FROM people")[0][0]
    argv = [rig.db_url, str(campaign_id), "8", *settings.channels()]
    job = await launcher.start(argv, rig.workdir, "materialise", entry=MATERIALISE)

    def progress() -> int:
        rows = rig.query("SELECT materialised_upto FROM campaign_runs")
        return int(rows[0][0]) if rows else 0

    await eventually(lambda: progress() >= top // 3, RUN_TIMEOUT_S, "a third materialised")
    job.kill()
    assert await job.wait(10) is None
    [(run_id, status, done)] = rig.query(
        "SELECT id, status, materialised_upto FROM campaign_runs")
    assert status == "materialising" and top // 3 <= done < top
    # Whole chunks only: everybody up to the mark has their deliveries, nobody after it.
    [(people, last)] = rig.query("SELECT COUNT(DISTINCT person_id), MAX(person_id) "
                                 "FROM deliveries WHERE run_id = ?", run_id)
    assert last <= done
    assert people == rig.query("SELECT COUNT(*) FROM people WHERE id <= ?", done)[0][0]
    base = ["--config", str(rig.write_config())]
    await launcher.run([*base, "run", "--until-idle"], rig.workdir, "resume", RUN_TIMEOUT_S)
    assert rig.query("SELECT status FROM campaign_runs") != [("materialising",)]
    [(rows, contacts)] = rig.query(
        "SELECT (SELECT COUNT(*) FROM deliveries WHERE run_id = ?), "
        "(SELECT COUNT(*) FROM contacts WHERE kind = 'user')", run_id)
    assert rows == contacts  # one row per contact (every member here has one), none twice
    received = rig.received()
    assert all(n == (rig.state(key) == "active") for key, n in received.items())
