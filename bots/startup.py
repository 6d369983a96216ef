"""Channels started each on its own: one that cannot start is reported in one line and
tried again in the background with capped backoff, while the others start and send.

The staff reads the log: a failure names the channel, what failed and what to check, once
per cause (not on every retry); a status line follows every change of a channel's state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from bots.transport import StartCause, StartFailure
from core.ports import Channel, EventHandler
from core.sending.split import shortened

log = logging.getLogger("rupor.startup")

# --- Texts the staff reads in the log (Russian) -------------------------------------------

TITLES = {"telegram": "Telegram", "vk": "ВКонтакте", "viber": "Viber"}
FAILED: dict[StartCause, str] = {
    "network": "{title}: нет связи с сервером платформы ({detail}): проверьте доступ "
               "в интернет, DNS и [{section}] api_base; повтор через {retry} с",
    "token": "{title}: токен не принят ({detail}): проверьте [{section}] token "
             "и права бота; повтор через {retry} с",
    "webhook": "{title}: не удалось установить вебхук ({detail}): проверьте [server] "
               "public_url и доступность сервера из интернета; повтор через {retry} с",
    "setup": "{title}: не удалось запустить ({detail}): проверьте раздел [{section}], "
             "подробности — в журнале уровня DEBUG; повтор через {retry} с",
}
REASONS: dict[StartCause, str] = {
    "network": "нет связи", "token": "токен не принят", "webhook": "вебхук не установлен",
    "setup": "ошибка запуска",
}
RECOVERED = "{title}: запущен после {failures} неудачных попыток, рассылка по нему идёт"
# A channel that stops working while it runs (core.sending.outage): its sender waits.
STOPPED: dict[StartCause, str] = {
    "token": "{title}: токен больше не принимается ({detail}): рассылка по каналу "
             "приостановлена, доставки ждут; проверьте [{section}] token и права бота — "
             "бот сам проверяет, не заработал ли он",
    "network": "{title}: платформа не отвечает ({detail}): рассылка по каналу "
               "приостановлена, доставки ждут; проверьте доступ в интернет и [{section}] "
               "api_base — бот сам проверяет, не заработала ли она",
}
RESUMED = "{title}: снова работает, рассылка по нему продолжается"
STATUS_LINE = "состояние: {channels}"
STATE_WORDS = {"starting": "запускается", "running": "работает", "failed": "не запущен ({reason})"}

DETAIL_CHARS = 300  # a platform's error text, cut so the line stays one readable line


class ChannelState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    FAILED = "failed"


@dataclass(frozen=True)
class ChannelStatus:
    """A channel's state; when it failed, `cause` and `reason` (Russian) say why."""

    state: ChannelState
    reason: str | None = None
    cause: StartCause | None = None


@dataclass(frozen=True)
class Backoff:
    """Waits between start attempts: `first_s`, doubling with every failure up to `max_s`."""

    first_s: float = 5.0  # a platform down for a moment is usually back within seconds
    max_s: float = 300.0  # a rejected token waits for a person: every 5 min keeps it quiet

    def wait_s(self, failures: int) -> float:
        return float(min(self.first_s * 2 ** max(0, failures - 1), self.max_s))


def as_start_failure(exc: BaseException) -> StartFailure:
    """An adapter's StartFailure as it is; a stray network error is "network", else "setup"."""
    if isinstance(exc, StartFailure):
        return exc
    if isinstance(exc, OSError | TimeoutError | aiohttp.ClientConnectionError):
        return StartFailure("network", str(exc) or type(exc).__name__)
    return StartFailure("setup", f"{type(exc).__name__}: {exc}")


def title(name: str) -> str:
    return TITLES.get(name, name.capitalize())


def status_line(statuses: Mapping[str, ChannelStatus]) -> str:
    """"состояние: telegram — работает, viber — не запущен (нет связи)"."""
    parts = []
    for name, status in statuses.items():
        reason = REASONS[status.cause] if status.cause else ""
        parts.append(f"{name} — {STATE_WORDS[status.state].format(reason=reason)}")
    return STATUS_LINE.format(channels=", ".join(parts))


StatusChange = Callable[[str, ChannelStatus], Awaitable[None]]


class ChannelStarter:
    """Starts every channel once, together, and keeps retrying those that failed;
    `on_running(name)` is called once per channel, as soon as it has started, and
    `on_change(name, status)` after the first attempt and whenever the state or the cause
    of a failure changes (not on every retry): the staff chat's news (core.staff.news)."""

    def __init__(
        self, channels: Mapping[str, Channel], on_event: EventHandler,
        on_running: Callable[[str], None], *, backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_change: StatusChange | None = None,
    ) -> None:
        self.channels = dict(channels)
        self.on_event, self.on_running = on_event, on_running
        self.backoff, self.sleep = backoff or Backoff(), sleep
        self.statuses = {name: ChannelStatus(ChannelState.STARTING) for name in self.channels}
        self._reported: dict[str, StartCause] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._line = ""
        self.on_change = on_change
        self._told: dict[str, tuple[ChannelState, StartCause | None]] = {}

    async def start_all(self) -> None:
        """Try every channel once; report the status; retry the failed ones in the background."""
        names = list(self.channels)
        started = await asyncio.gather(*(self._attempt(name, 0) for name in names))
        self._log_status()
        for name, ok in zip(names, started, strict=True):
            if ok:
                self.on_running(name)
            else:
                task = asyncio.create_task(self._keep_trying(name), name=f"start-{name}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop retrying (a channel still failing stays unstarted)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep_trying(self, name: str) -> None:
        failures = 1
        while True:
            await self.sleep(self.backoff.wait_s(failures))
            if await self._attempt(name, failures):
                break
            failures += 1
            self._log_status()
        self._reported.pop(name, None)
        log.info(RECOVERED.format(title=title(name), failures=failures))
        self._log_status()
        self.on_running(name)

    async def _attempt(self, name: str, failures: int) -> bool:
        """One start of the channel; True when it started."""
        try:
            await self.channels[name].start(self.on_event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any fault of one channel is reported; none stops the suite
            log.debug("%s: start failed", name, exc_info=exc)
            self._failed(name, as_start_failure(exc), failures + 1)
            await self._tell(name)
            return False
        self.statuses[name] = ChannelStatus(ChannelState.RUNNING)
        await self._tell(name)
        return True

    async def _tell(self, name: str) -> None:
        status = self.statuses[name]
        if self.on_change is None or self._told.get(name) == (status.state, status.cause):
            return
        self._told[name] = (status.state, status.cause)
        try:
            await self.on_change(name, status)
        except Exception:  # the news is not worth stopping a channel's start for
            log.exception("%s: telling the state change failed", name)

    async def running_fault(self, name: str, failure: StartFailure | None) -> None:
        """A started channel stopped working (its sender found the token refused or the
        platform silent), or works again (None): its state, a log line per change, and
        the news, as for a start."""
        if failure is None:
            if self.statuses[name].state != ChannelState.FAILED:
                return
            self._reported.pop(name, None)
            self.statuses[name] = ChannelStatus(ChannelState.RUNNING)
            log.info(RESUMED.format(title=title(name)))
        else:
            detail = shortened(" ".join(failure.detail.split()), DETAIL_CHARS)
            reason = f"{REASONS[failure.cause]}: {detail}"
            self.statuses[name] = ChannelStatus(ChannelState.FAILED, reason, failure.cause)
            if self._reported.get(name) != failure.cause:
                self._reported[name] = failure.cause
                text = STOPPED.get(failure.cause, FAILED[failure.cause])
                log.warning(text.format(title=title(name), detail=detail, section=name,
                                        retry="—"))
        self._log_status()
        await self._tell(name)

    def _failed(self, name: str, failure: StartFailure, failures: int) -> None:
        """Record the failure; report it when its cause is new for this channel."""
        detail = shortened(" ".join(failure.detail.split()), DETAIL_CHARS)
        reason = f"{REASONS[failure.cause]}: {detail}"
        self.statuses[name] = ChannelStatus(ChannelState.FAILED, reason, failure.cause)
        if self._reported.get(name) == failure.cause:
            return
        self._reported[name] = failure.cause
        wait = f"{self.backoff.wait_s(failures):g}"
        log.warning(FAILED[failure.cause].format(
            title=title(name), detail=detail, section=name, retry=wait))

    def _log_status(self) -> None:
        line = status_line(self.statuses)
        if line != self._line:
            self._line = line
            log.info(line)
