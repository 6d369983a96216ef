"""A series of kill -9s while one campaign goes out to a 20,000-member union over Telegram,
VK and Viber at once (the kill during a scheduled monthly run: test_crash_scheduled).

The union: 20,000 members (seed 16), about 2,150 Telegram accounts, 9,300 VK and 9,300 Viber
(4 % of members on two messengers), each listed account active or not as the sandbox draws
it. Telegram's free ceiling (30/s) makes its share the long pole: some 70 s of sending;
VK (100 per call) and Viber (300 per call) finish within seconds of each start. The series
takes about two minutes.

Kills (seeded, RANDOM_SEED): the materialising child at a random chunk, `rupor run` at a
random moment right after its start, then until KILLS runs were killed either the moment a
randomly chosen channel accepted its N-th message (between the platform's answer and our
commit) or at a random wall-clock moment; each restart resumes. Then `rupor run
--until-idle` finishes. Checks: tests/e2e/crash_support.py.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from bots.registry import capabilities
from core.campaigns.store import NewCampaign, create_campaign
from core.storage.engine import create_engine
from tests.e2e.crash_support import (
    TEXT,
    UNION,
    AtKill,
    check_duplicates,
    check_nobody_lost,
    check_paced,
    check_report,
    config_args,
    finish,
    kill_after_accepted,
    killed_now,
    snapshot,
    union_fixtures,
    unsent,
)
from tests.e2e.processes import Launcher
from tests.e2e.rig import CHANNELS, Rig, eventually

# Each test sends 20,000 members at the platforms' pace (Telegram's 2,239 alone take 75 s) and
# restarts after every kill: well over the suite's 120 s default.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.long, pytest.mark.timeout(600)]

RANDOM_SEED = 1616
KILLS = 12  # `rupor run` killed this many times (the materialising child once more)
MATERIALISE = "tests.e2e.materialise_child:main"
MATERIALISE_CHUNK = 250


template, rig = union_fixtures(UNION)


async def one_kill(rig: Rig, launcher: Launcher, base: list[str], dice: random.Random,
                   run_id: int, first: bool) -> tuple[str, AtKill]:
    """Start `rupor run` and kill it: right after start (first), at N accepted messages
    of a random channel still sending, or at a random moment; (how, what was in flight).
    The random moments are the fault itself, not a wait for work."""
    job = await launcher.start([*base, "run"], rig.workdir, "run")
    sending = [c for c in CHANNELS if unsent(rig, c) > 50]
    how = "at start"
    if first:
        await asyncio.sleep(dice.uniform(0.05, 1.5))
        await killed_now(job)
    elif sending and dice.random() < 0.7:
        channel = dice.choice(sending)
        limit = {"telegram": 240, "vk": 2_500, "viber": 3_000}[channel]
        accepted = await kill_after_accepted(
            rig, job, channel, dice.randint(1, min(limit, unsent(rig, channel) // 2)))
        how = f"accepted on {channel}" if accepted else "idle"
    else:
        await asyncio.sleep(dice.uniform(0.5, 5.0))
        await killed_now(job)
        how = "at a moment"
    return how, snapshot(rig, run_id)


async def materialise_and_kill(rig: Rig, launcher: Launcher, dice: random.Random) -> int:
    """The campaign's run materialised by a child process, killed at a random chunk; the
    run's id."""
    engine = create_engine(rig.db_url)
    try:
        campaign_id = await create_campaign(engine, NewCampaign(text=TEXT),
                                            capabilities(rig.settings()))
    finally:
        await engine.dispose()
    top = rig.query("SELECT MAX(id) FROM people")[0][0]
    stop_at = int(top * dice.uniform(0.1, 0.6))
    argv = [rig.db_url, str(campaign_id), str(MATERIALISE_CHUNK), *rig.settings().channels()]
    job = await launcher.start(argv, rig.workdir, "materialise", entry=MATERIALISE)

    def progress() -> int:
        rows = rig.query("SELECT materialised_upto FROM campaign_runs")
        return int(rows[0][0]) if rows else 0

    await eventually(lambda: progress() >= stop_at, 120, "materialised up to the kill")
    await killed_now(job)
    [(run_id, status)] = rig.query("SELECT id, status FROM campaign_runs")
    assert status == "materialising"
    return int(run_id)


async def test_twelve_kills_while_one_campaign_goes_out_on_three_channels(
    rig: Rig, launcher: Launcher
) -> None:
    dice = random.Random(RANDOM_SEED)
    base = config_args(rig)
    run_id = await materialise_and_kill(rig, launcher, dice)
    series = [await one_kill(rig, launcher, base, dice, run_id, first=True)]
    while len(series) < KILLS:
        series.append(await one_kill(rig, launcher, base, dice, run_id, first=False))
    kills = [kill for _, kill in series]
    between = [how for how, _ in series if how.startswith("accepted")]
    assert len(between) >= KILLS // 3, [how for how, _ in series]
    assert any(kill.claimed for kill in kills), "no kill landed while anything was in flight"
    received = await finish(rig, launcher, base)
    check_nobody_lost(rig, received)
    check_duplicates(rig, run_id, kills, received)
    [(campaign_id,)] = rig.query("SELECT campaign_id FROM campaign_runs WHERE id = ?", run_id)
    await check_report(rig, campaign_id, run_id)
    check_paced(rig)
