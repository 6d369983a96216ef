"""A kill -9 during a scheduled monthly run of the 20,000-member union (crash_support.UNION):
`rupor post --cron` for this month's slot a minute ahead, `rupor run` up when it fires and
killed while the slot's run sends; the restart neither makes the slot's run again nor loses
anyone. About a minute and a half, half of it waiting for the cron slot. Apart from
test_crash_series so that the two run side by side under `make test-long`."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.crash_support import (
    TEXT,
    UNION,
    check_duplicates,
    check_nobody_lost,
    check_paced,
    check_report,
    config_args,
    finish,
    kill_after_accepted,
    snapshot,
    union_fixtures,
)
from tests.e2e.processes import Launcher
from tests.e2e.rig import CHANNELS, Rig, eventually

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.long, pytest.mark.timeout(600)]

RANDOM_SEED = 1617
CRON_TZ = ZoneInfo("Asia/Yekaterinburg")  # the scheduler's time zone in the sandbox config


template, rig = union_fixtures(UNION)


def next_minute_cron() -> tuple[str, datetime]:
    """A monthly cron (this day of the month) whose slot is the next whole minute, at least
    three seconds away; and that slot."""
    now = datetime.now(CRON_TZ)
    slot = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (slot - now).total_seconds() < 3:
        slot += timedelta(minutes=1)
    return f"{slot.minute} {slot.hour} {slot.day} * *", slot


async def test_kill_during_a_scheduled_monthly_run(rig: Rig, launcher: Launcher) -> None:
    """`rupor post --cron` for this month's slot a minute ahead; `rupor run` is up when it
    fires and is killed while the slot's run sends; the restart neither makes the slot's
    run again nor loses anyone."""
    dice = random.Random(RANDOM_SEED)
    base = config_args(rig)
    cron, slot = next_minute_cron()
    await launcher.run([*base, "post", "--text", TEXT, "--to", "all", "--cron", cron],
                       rig.workdir, "post")
    [(campaign_id,)] = rig.query("SELECT id FROM campaigns")
    job = await launcher.start([*base, "run"], rig.workdir, "run")
    wait_s = (slot - datetime.now(CRON_TZ)).total_seconds() + 30
    await eventually(lambda: bool(rig.query("SELECT 1 FROM campaign_runs")), wait_s,
                     "the slot's run started")
    [(run_id,)] = rig.query("SELECT id FROM campaign_runs")
    channel = dice.choice(CHANNELS)
    assert await kill_after_accepted(rig, job, channel, dice.randint(20, 200)), channel
    kills = [snapshot(rig, run_id)]
    received = await finish(rig, launcher, base)
    runs = rig.query("SELECT id, scheduled_for, status FROM campaign_runs "
                     "WHERE campaign_id = ?", campaign_id)
    assert [(r[0], r[2]) for r in runs] == [(run_id, "done")], runs
    check_nobody_lost(rig, received)
    check_duplicates(rig, run_id, kills, received)
    await check_report(rig, campaign_id, run_id)
    check_paced(rig)
