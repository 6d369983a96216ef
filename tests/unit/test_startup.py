"""ChannelStarter: each channel starts on its own, a failure is reported once per cause and
retried with capped backoff (an injected sleep: no real waiting); run's settings checks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from bots.startup import Backoff, ChannelStarter, ChannelState, status_line
from bots.suite import check_run_settings, run_forever
from bots.transport import StartFailure
from core.config import SettingsError, settings_from_mapping
from core.ports import InboundEvent

STARTUP_LOGGER = "rupor.startup"
TIMEOUT_S = 5.0


class ScriptedChannel:
    """A channel whose start() raises the scripted faults in order, then starts."""

    def __init__(self, name: str, *faults: BaseException) -> None:
        self.name = name
        self.faults = list(faults)
        self.starts = 0

    async def start(self, on_event: Any) -> None:
        self.starts += 1
        if self.faults:
            raise self.faults.pop(0)


class Gate:
    """An injected sleep: records each wait and returns only when the test lets it."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._permits = asyncio.Semaphore(0)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self._permits.acquire()

    def release(self, times: int = 1) -> None:
        for _ in range(times):
            self._permits.release()


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {TIMEOUT_S} s"
        await asyncio.sleep(0.001)


async def ignore(event: InboundEvent) -> None:
    return None


def starter(*channels: ScriptedChannel) -> tuple[ChannelStarter, Gate, list[str]]:
    gate, running = Gate(), []
    built = ChannelStarter({c.name: c for c in channels}, ignore, running.append,  # type: ignore[misc]
                           sleep=gate.sleep)
    return built, gate, running


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records
            if r.name == STARTUP_LOGGER and r.levelno >= logging.WARNING]


def test_backoff_doubles_from_five_seconds_up_to_five_minutes() -> None:
    waits = [Backoff().wait_s(failures) for failures in range(1, 10)]
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300]


async def test_a_failing_channel_leaves_the_others_running_and_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram = ScriptedChannel("telegram")
    viber = ScriptedChannel("viber", StartFailure("network", "cannot connect"),
                            StartFailure("network", "cannot connect again"))
    started, gate, running = starter(telegram, viber)
    await started.start_all()
    assert running == ["telegram"]
    assert started.statuses["telegram"].state == ChannelState.RUNNING
    failed = started.statuses["viber"]
    assert failed.state == ChannelState.FAILED and failed.cause == "network"
    assert failed.reason is not None and "cannot connect" in failed.reason

    gate.release()
    await until(lambda: viber.starts == 2 and len(gate.waits) == 2, "the second attempt")
    assert started.statuses["viber"].state == ChannelState.FAILED
    gate.release()
    await until(lambda: running == ["telegram", "viber"], "viber to recover")
    assert started.statuses["viber"].state == ChannelState.RUNNING
    assert gate.waits == [5, 10]
    assert len(warnings(caplog)) == 1  # reported once, not on every retry
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]
    assert tracebacks == []
    await started.close()


async def test_a_rejected_token_is_reported_once_per_change_of_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    token, network = StartFailure("token", "401 Unauthorized"), StartFailure("network", "down")
    vk = ScriptedChannel("vk", token, token, token, network, network, token)
    started, gate, running = starter(vk)
    await started.start_all()
    gate.release(6)
    await until(lambda: running == ["vk"], "vk to start")
    causes = [r.getMessage().split("(")[0] for r in warnings(caplog)]
    assert causes == ["ВКонтакте: токен не принят ", "ВКонтакте: нет связи с сервером платформы ",
                      "ВКонтакте: токен не принят "]
    await started.close()


@pytest.mark.parametrize(
    ("fault", "cause"),
    [(ConnectionRefusedError("refused"), "network"), (TimeoutError(), "network"),
     (RuntimeError("a bug"), "setup"), (StartFailure("webhook", "1 invalidUrl"), "webhook")],
)
async def test_any_fault_of_a_start_is_a_failure_with_a_cause(
    fault: BaseException, cause: str
) -> None:
    started, gate, running = starter(ScriptedChannel("viber", fault))
    await started.start_all()
    assert started.statuses["viber"].cause == cause
    await started.close()


async def test_close_stops_the_retries() -> None:
    viber = ScriptedChannel("viber", *[StartFailure("network", "down")] * 3)
    started, gate, running = starter(viber)
    await started.start_all()
    await until(lambda: len(gate.waits) == 1, "the first wait")
    await started.close()
    gate.release(3)
    await asyncio.sleep(0.01)
    assert viber.starts == 1 and running == []


async def test_the_status_line_names_every_channel_and_why_one_is_down() -> None:
    started, gate, running = starter(
        ScriptedChannel("telegram"), ScriptedChannel("vk"),
        ScriptedChannel("viber", StartFailure("webhook", "1 invalidUrl")))
    await started.start_all()
    assert status_line(started.statuses) == (
        "состояние: telegram — работает, vk — работает, viber — не запущен (вебхук не установлен)"
    )
    await started.close()


VIBER = {"viber": {"token": "t"}}


@pytest.mark.parametrize(
    ("sections", "key"),
    [(VIBER, "[server] public_url"),
     ({"telegram": {"token": "1:a", "mode": "webhook", "webhook_secret": "s"}},
      "[server] public_url"),
     ({"telegram": {"token": "1:a", "mode": "webhook"},
       "server": {"public_url": "https://x.example"}}, "[telegram] webhook_secret"),
     ({"vk": {"token": "t", "group_id": 1, "mode": "callback"}}, "[vk] secret")],
)
def test_run_needs_the_settings_its_channels_cannot_start_without(
    sections: dict[str, Any], key: str
) -> None:
    settings = settings_from_mapping(sections, environ={})
    with pytest.raises(SettingsError) as error:
        check_run_settings(settings)
    assert str(error.value).startswith(key) and "\n" not in str(error.value)


def test_viber_with_a_public_url_passes_the_check() -> None:
    check_run_settings(settings_from_mapping(
        {**VIBER, "server": {"public_url": "https://rupor.example.org"}}, environ={}))


def test_run_without_the_public_url_viber_needs_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_forever(settings_from_mapping(VIBER, environ={})) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "[server] public_url" in lines[0]
