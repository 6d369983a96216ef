"""The first real start with one platform out of reach: the real suite against the sandbox
with Viber's emulator stopped. Telegram and VK deliver a campaign; Viber is reported once
and its deliveries wait; when its emulator comes back on the configured port, Viber starts
and its members get the message."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bots.startup import Backoff, ChannelState
from bots.suite import Suite
from core.campaigns.store import NewCampaign
from tests.e2e.rig import Rig, eventually, import_union, open_rig, post

MEMBERS = 200
DELIVER_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
# Retried every 0.2-1 s here so the test does not wait out the production backoff (5 s-5 min).
FAST = Backoff(first_s=0.2, max_s=1.0)
WAITING = ("pending", "claimed")
DONE = ("sent", "delivered", "read")


def statuses(rig: Rig, run_id: int, channel: str) -> Counter[str]:
    return Counter(status for (name, _), (status, _, _) in rig.deliveries(run_id).items()
                   if name == channel)


def finished(rig: Rig, run_id: int, *channels: str) -> bool:
    return all(not any(statuses(rig, run_id, c)[s] for s in WAITING) for c in channels)


def viber_reports(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "rupor.startup"
            and r.levelno >= logging.WARNING and r.getMessage().startswith("Viber:")]


def got_it(rig: Rig, channel: str) -> tuple[int, int]:
    """(active accounts on `channel`, how many of them hold exactly one bot message)."""
    received = rig.received()
    active = [key for key in received if key[0] == channel and rig.state(key) == "active"]
    return len(active), sum(received[key] == 1 for key in active)


async def test_viber_down_at_start_the_others_send_and_viber_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=MEMBERS)
    stop = asyncio.Event()
    running: asyncio.Task[None] | None = None
    try:
        await import_union(rig)
        viber = rig.sandbox.viber
        viber_port = urlsplit(rig.config.viber_api_base).port
        await viber.close()  # Viber's API is out of reach when `rupor run` starts
        _, run_id = await post(rig, NewCampaign(text="Собрание профкома в пятницу в 15:00",
                                                title="Собрание"))
        suite = Suite(rig.settings(), start_backoff=FAST)
        running = asyncio.create_task(suite.run(stop))

        task = running
        await eventually(lambda: finished(rig, run_id, "telegram", "vk") or task.done(),
                         DELIVER_TIMEOUT_S, "Telegram and VK to deliver")
        assert not task.done()
        for channel in ("telegram", "vk"):
            active, delivered = got_it(rig, channel)
            assert active > 20 and delivered == active, (channel, rig.ledger())
        status = suite.status()
        assert status["telegram"].state == status["vk"].state == ChannelState.RUNNING
        assert status["viber"].state == ChannelState.FAILED
        assert status["viber"].cause == "network"
        waiting = statuses(rig, run_id, "viber")
        assert waiting["pending"] > 20 and set(waiting) <= {"pending", "blocked",
                                                            "unsubscribed", "skipped"}

        await viber.start(host="127.0.0.1", port=viber_port)  # where the settings point
        await eventually(lambda: finished(rig, run_id, "viber"), DELIVER_TIMEOUT_S,
                         "Viber to recover and deliver")
        assert suite.status()["viber"].state == ChannelState.RUNNING
        active, delivered = got_it(rig, "viber")
        assert active > 20 and delivered == active, rig.ledger()
        assert set(statuses(rig, run_id, "viber")) <= set(DONE) | {"blocked", "unsubscribed",
                                                                   "skipped"}
        assert len(viber_reports(caplog)) == 1  # once, however many retries it took
        assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    finally:
        stop.set()
        if running is not None:
            await asyncio.wait_for(running, STOP_TIMEOUT_S)
        await rig.close()


async def test_until_idle_stops_when_the_running_channels_are_done(tmp_path: Path) -> None:
    """--until-idle for scripts: a channel that is down does not keep the others waiting;
    the suite stops, names the channel, and its deliveries stay pending for the next run."""
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=MEMBERS, seed=3)
    try:
        await import_union(rig)
        await rig.sandbox.viber.close()
        _, run_id = await post(rig, NewCampaign(text="Собрание профкома", title="Собрание"))
        suite = Suite(rig.settings(), start_backoff=FAST)
        await asyncio.wait_for(suite.run(asyncio.Event(), until_idle=True), DELIVER_TIMEOUT_S)
        assert finished(rig, run_id, "telegram", "vk")
        assert suite.down_channels() == ["viber"]
        assert statuses(rig, run_id, "viber")["pending"] > 20
    finally:
        await rig.close()
