"""kill -9 in the middle of a broadcast, then `rupor run --until-idle`: nobody is lost, VK
gets nothing twice, and what Telegram and Viber got twice is bounded and flagged.

The emulators run in this process and the `rupor` commands in child processes that only
know the emulators' URLs, so a listener on an emulator can kill the sender the moment the
platform has accepted a given message, and the tests can see every chat afterwards. The
bound on duplicates and the checks are in tests/e2e/crash_support.py (shared with the
series of kills in test_crash_series.py).
"""

from __future__ import annotations

import pytest

from bots.registry import capabilities
from core.campaigns.store import NewCampaign, create_campaign
from core.storage.engine import create_engine
from tests.e2e.crash_support import (
    RUN_TIMEOUT_S,
    SMALL_UNION,
    TEXT,
    check_duplicates,
    check_nobody_lost,
    check_paced,
    check_report,
    kill_while_sending,
    post_now,
    union_fixtures,
)
from tests.e2e.processes import Launcher
from tests.e2e.rig import Rig, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNION = SMALL_UNION
MATERIALISE = "tests.e2e.materialise_child:main"


template, rig = union_fixtures(UNION)


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
    check_duplicates(rig, run_id, [at_kill], received)
    await check_report(rig, campaign_id, run_id)
    check_paced(rig)


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
