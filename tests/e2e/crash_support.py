"""What the kill -9 tests share: a listener that kills `rupor run` the moment a platform has
accepted a message, the rows in flight at each kill, and the checks made after the restart
(nobody lost, duplicates bounded by what was in flight and flagged, the reach report).

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
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bots.registry import capabilities
from core.ports import Capabilities
from core.reach.report import reach_report
from core.sending.dispatch import MAX_WAVE, WAVE_S
from core.storage.engine import create_engine
from sandbox.union import Union, UnionKnobs
from tests.e2e.processes import Job, Launcher
from tests.e2e.rig import CHANNELS, Key, Rig, eventually, import_members_file, open_rig

TEXT = "**Важно:** профсоюзное собрание переносится на пятницу, 16:00."
RUN_TIMEOUT_S = 90.0
# About 1,500 on VK, 1,500 on Viber and 120 on Telegram (Telegram's 30/s makes the sending
# last about four seconds: a kill or a trouble comes while it sends), some on two
# messengers, some who left.
SMALL_UNION = UnionKnobs(seed=7, districts=3, schools=30, members=3200, staff=0,
                         share_telegram=0.02, share_vk=0.47, share_viber=0.47, share_two=0.04,
                         share_none=0.0)


async def union_template(factory: pytest.TempPathFactory, knobs: UnionKnobs) -> Path:
    """The union imported once into a database file each test then copies."""
    workdir = factory.mktemp("union-template")
    members = Union.generate(knobs).write_members_csv(workdir / "members.csv")
    database = workdir / "template.sqlite3"
    await import_members_file(f"sqlite:///{database}", members)
    return database


@asynccontextmanager
async def rig_from(template: Path, tmp_path: Path, knobs: UnionKnobs) -> AsyncIterator[Rig]:
    """A started sandbox over a copy of the template's database."""
    shutil.copyfile(template, tmp_path / "rupor.sqlite3")
    made = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", union=knobs)
    try:
        yield made
    finally:
        await made.close()


def union_fixtures(knobs: UnionKnobs) -> tuple[Any, Any]:
    """The `template` (the union imported once per module) and `rig` (a fresh copy of it
    per test) fixtures of a crash-test module: `template, rig = union_fixtures(UNION)`."""

    @pytest_asyncio.fixture(scope="module", loop_scope="module")
    async def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return await union_template(tmp_path_factory, knobs)

    @pytest_asyncio.fixture(loop_scope="module")
    async def rig(template: Path, tmp_path: Path) -> AsyncIterator[Rig]:
        async with rig_from(template, tmp_path, knobs) as made:
            yield made

    return template, rig


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
    """What each side held at a kill: the messages in every chat, the rows still claimed."""

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


def snapshot(rig: Rig, run_id: int) -> AtKill:
    """The chats and the run's claimed rows, read right after a kill."""
    ledger = rig.deliveries(run_id)
    claimed = {key for key, (status, _, _) in ledger.items() if status == "claimed"}
    return AtKill(dict(rig.received()), claimed)


async def post_now(rig: Rig, launcher: Launcher, base: list[str],
                   text: str = TEXT) -> tuple[int, int]:
    """`rupor post --now` in a child process; (campaign id, run id) from what it prints."""
    job = await launcher.run([*base, "post", "--text", text, "--to", "all", "--now"],
                             rig.workdir, "post")
    found = re.match(r"Рассылка №(\d+) создана, запуск №(\d+): ", job.stdout())
    assert found, job.output()
    return int(found[1]), int(found[2])


async def kill_while_sending(rig: Rig, launcher: Launcher, base: list[str], run_id: int,
                             channel: str, after: int) -> AtKill:
    """Start `rupor run`; kill it once `channel` has accepted `after` more messages."""
    switch = KillSwitch(after)
    listen(rig, channel, switch)
    job = await launcher.start([*base, "run"], rig.workdir, "run")
    switch.job = job
    code = await job.wait(RUN_TIMEOUT_S)
    assert switch.fired and code is None, f"not killed ({code})\n{job.output()}"
    return snapshot(rig, run_id)


def check_nobody_lost(rig: Rig, received: dict[Key, int]) -> None:
    lost = [k for k, n in received.items() if rig.state(k) == "active" and n == 0]
    wrongly = [k for k, n in received.items() if rig.state(k) != "active" and n]
    assert not lost and not wrongly, (len(lost), len(wrongly), rig.ledger())


def check_duplicates(rig: Rig, run_id: int, kills: Sequence[AtKill],
                     received: dict[Key, int], before: dict[Key, int] | None = None) -> None:
    """Duplicates after one or more kills: on Telegram and Viber each copy beyond the first
    comes from a kill at which the row was claimed (so at most the in-flight bound per kill)
    and is flagged; VK none. `before`: messages the chats held before this run began."""
    caps = capabilities(rig.settings())
    ledger = rig.deliveries(run_id)
    base = before or {}
    for name in CHANNELS:
        bound = in_flight_bound(caps[name])
        claimed = [{k for k in kill.claimed if k[0] == name} for kill in kills]
        assert all(len(rows) <= bound for rows in claimed), (name, [len(r) for r in claimed])
        extra = {k: n - base.get(k, 0) - 1 for k, n in received.items()
                 if k[0] == name and n - base.get(k, 0) > 1}
        assert all(ledger[k][2] for k in extra), f"{name}: a duplicate is not flagged"
        already_had = [{k for k in rows if kill.received.get(k, 0) > base.get(k, 0)}
                       for kill, rows in zip(kills, claimed, strict=True)]
        if name == "vk":
            assert not extra, "VK got a message twice"
            assert rig.stats()["vk"]["random_id_dedups"] >= sum(map(len, already_had))
            continue
        for key, copies in extra.items():
            in_flight = sum(1 for rows in claimed if key in rows)
            assert copies <= in_flight, f"{name}: {key} got {copies} extra, in flight {in_flight}"
        assert sum(extra.values()) <= bound * len(kills), name
        resent = set().union(*already_had) if already_had else set()
        assert resent <= set(extra), f"{name}: an uncertain delivery was not re-sent"


async def check_report(rig: Rig, campaign_id: int, run_id: int) -> None:
    """The run is done; everyone reachable is reached; the flagged are those re-sent."""
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


def check_paced(rig: Rig) -> None:
    """No emulator saw a request above its rate limits."""
    for name, stats in rig.stats().items():
        assert stats["violations"] == 0, name


# The 20,000-member union of the kill -9 series (test_crash_series, test_crash_scheduled).
UNION = UnionKnobs(seed=16, districts=5, schools=120, members=20_000, staff=0,
                   share_telegram=0.08, share_vk=0.44, share_viber=0.44, share_two=0.04,
                   share_none=0.0)
KILL_TIMEOUT_S = 60.0  # a run that is to be killed after N messages gets them within this
FINISH_TIMEOUT_S = 300.0


def config_args(rig: Rig) -> list[str]:
    """--config with the sandbox's settings; no quiet hours (the tests run at any hour)."""
    path = rig.write_config()
    with path.open("a", encoding="utf-8") as config:
        config.write('\n[scheduler]\nquiet_hours = ""\n')
    return ["--config", str(path)]


def unsent(rig: Rig, channel: str) -> int:
    """Active accounts of `channel` whose chat holds nothing yet."""
    return sum(1 for k, n in rig.received().items()
               if k[0] == channel and n == 0 and rig.state(k) == "active")


async def killed_now(job: Job) -> None:
    job.kill()
    assert await job.wait(10) is None, job.output()


async def kill_after_accepted(rig: Rig, job: Job, channel: str, after: int) -> bool:
    """Kill `job` once `channel` accepted `after` more messages; False if the channel ran
    out of work first (the job is killed then too)."""
    switch = KillSwitch(after, job)
    listen(rig, channel, switch)
    try:
        await eventually(lambda: switch.fired or not job.alive(), KILL_TIMEOUT_S,
                         f"{channel}: {after} messages accepted")
    except AssertionError:
        if unsent(rig, channel):
            raise
    finally:
        switch.fired = True  # the listener stays on the emulator: it must not fire later
    await killed_now(job)
    return switch.seen >= after


async def finish(rig: Rig, launcher: Launcher, base: list[str]) -> dict[tuple[str, str], int]:
    await launcher.run([*base, "run", "--until-idle"], rig.workdir, "finish", FINISH_TIMEOUT_S)
    return dict(rig.received())
