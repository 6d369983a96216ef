"""`rupor run` as a process: it picks up a run that `rupor post` creates from another process,
stops cleanly on SIGTERM, and `rupor run --until-idle` exits 0 once nothing is pending."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from core.campaigns.store import NewCampaign
from tests.e2e.processes import Job, Launcher
from tests.e2e.rig import Rig, eventually, import_union, open_rig, post

START_TIMEOUT_S = 60.0  # a fresh interpreter (RUPOR_E2E_FRESH=1) imports aiogram first
PICKUP_TIMEOUT_S = 20.0  # "within seconds": the senders look for new runs every second


def senders_running(rig: Rig, pid: int) -> bool:
    """The process registered one sender per configured channel."""
    rows = rig.query("SELECT COUNT(*) FROM senders WHERE pid = ? AND NOT stopped", pid)
    return bool(rows) and rows[0][0] == 3


async def test_run_sends_what_another_process_posts_and_exits_0_on_sigterm(
    tmp_path: Path, launcher: Launcher
) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=120, seed=4)
    try:
        await import_union(rig)
        base = ["--config", str(rig.write_config())]
        run = await launcher.start([*base, "run"], tmp_path, "run")
        await eventually(lambda: senders_running(rig, run.pid), START_TIMEOUT_S,
                         "rupor run started its senders")
        assert rig.received().total() == 0
        post = await launcher.run([*base, "post", "--text", "**Собрание** в четверг в 15:00",
                                   "--to", "all", "--now"], tmp_path, "post")
        assert post.stdout().startswith("Рассылка №1 создана, запуск №1: 120 чел.")
        active = {key for key in rig.received() if rig.state(key) == "active"}
        assert len(active) > 60

        def everyone_reached() -> bool:
            received = rig.received()
            return all(received[key] == 1 for key in active)

        await eventually(everyone_reached, PICKUP_TIMEOUT_S, "the posted run was sent")
        await eventually(lambda: rig.query("SELECT status FROM campaign_runs") == [("done",)],
                         10, "the run is marked done")
        assert run.alive()  # without --until-idle it keeps running
        run.signal(signal.SIGTERM)
        assert await run.wait(30) == 0, run.output()
        assert {k for k, n in rig.received().items() if n} == active
        statuses = dict(rig.query("SELECT status, COUNT(*) FROM deliveries GROUP BY status"))
        assert "pending" not in statuses and "claimed" not in statuses, statuses
    finally:
        await rig.close()


async def test_run_until_idle_exits_0_when_nothing_is_pending(
    tmp_path: Path, launcher: Launcher
) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=60, seed=5)
    try:
        await import_union(rig)
        base = ["--config", str(rig.write_config())]
        await launcher.run([*base, "run", "--until-idle"], tmp_path, "idle", START_TIMEOUT_S)
        assert rig.received().total() == 0
        await launcher.run([*base, "post", "--text", "Напоминание", "--now"], tmp_path, "post")
        await launcher.run([*base, "run", "--until-idle"], tmp_path, "idle", START_TIMEOUT_S)
        received = rig.received()
        assert all(n == (rig.state(key) == "active") for key, n in received.items())
        assert rig.query("SELECT COUNT(*) FROM deliveries WHERE status IN "
                         "('pending', 'claimed')") == [(0,)]
    finally:
        await rig.close()


async def test_a_run_finished_just_before_sigterm_is_marked_done(
    tmp_path: Path, launcher: Launcher
) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=60, seed=6)
    try:
        await import_union(rig)
        await post(rig, NewCampaign(text="Собрание профкома в четверг."))
        active = [key for key in rig.received() if rig.state(key) == "active"]
        job: list[Job] = []
        accepted = Counter[str]()

        def on_message(message: object) -> None:
            accepted["all"] += 1
            if accepted["all"] == len(active):  # the last message: stop the suite now
                job[0].signal(signal.SIGTERM)

        for emulator in (rig.sandbox.telegram, rig.sandbox.vk, rig.sandbox.viber):
            emulator.add_bot_message_listener(on_message)
        job.append(await launcher.start(["--config", str(rig.write_config()), "run"],
                                        tmp_path, "run"))
        assert await job[0].wait(START_TIMEOUT_S + PICKUP_TIMEOUT_S) == 0, job[0].output()
        assert accepted["all"] == len(active)
        assert rig.query("SELECT COUNT(*) FROM deliveries WHERE status IN "
                         "('pending', 'claimed')") == [(0,)]
        assert rig.query("SELECT status FROM campaign_runs") == [("done",)]
    finally:
        await rig.close()
