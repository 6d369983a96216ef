"""The sandbox emulators, each in a process of its own, as the platforms are for Rupor.

    python -m bench.platforms '{"telegram": {"users": 2000, "first_id": 100000}, ...}'

The child builds the emulators with their default (real) limits, registers the members
cheaply (ids first_id + i, the ids bench.db gives the contacts), serves them on loopback
port 0 and prints one JSON line with their base URLs. It stops when its stdin closes.
Besides each emulator's own GET /__sandbox/stats it serves GET /__bench/summary: the
steady-state rate of accepted messages (a bot-message listener) and of sending requests
(aiohttp's on_response_prepare signal), both timed by the platform's own clock as they
arrive, and the emulator's stats with the per-member tables folded into counts.

The emulators run apart from Rupor, and apart from each other, so that their work never
shares an event loop with Rupor or with another platform: on the real platforms it does
not either.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import operator
import signal
import sys
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

TELEGRAM_TOKEN = "7000000001:BENCH-rupor-bot"
VIBER_TOKEN = "4f3e2d1c0b9a8877-bench-rupor"
READY_TIMEOUT_S = 900.0  # registering 900,000 Viber members takes a while
SUMMARY_ROUTE = "/__bench/summary"
FOLD_OVER = 50  # stats tables longer than this are folded into counts


def _telegram_sending(path: str) -> bool:
    return path.rsplit("/", 1)[-1].lower().startswith("send")


SENDING: dict[str, Callable[[str], bool]] = {
    "telegram": _telegram_sending,
    "vk": lambda path: path.endswith("/method/messages.send"),
    "viber": lambda path: path.endswith(("/pa/send_message", "/pa/broadcast_message")),
}


def steady(times: array[float], per_window: int, window_s: float, trim: float) -> dict[str, Any]:
    """The sustained rate as the platform judges it, robust to bursts.

    A platform allows `per_window` arrivals in any `window_s`, so arrival i and arrival
    i + per_window are at least window_s apart. Over the steady part (arrivals between
    trim and 1 - trim of the run) the mean of t[i + per_window] - t[i] is the time the
    sender really takes per window: sustained = per_window / that mean. `tightest_s` is the
    smallest such gap over the whole run (below window_s the platform would have refused).
    """
    count = len(times)
    found: dict[str, Any] = {"count": count, "span_s": 0.0, "steady_per_s": None,
                             "overall_per_s": None, "tightest_s": None}
    if count < 2:
        return found
    span = times[-1] - times[0]
    found["span_s"] = round(span, 3)
    found["overall_per_s"] = round((count - 1) / span, 3) if span > 0 else None
    if count <= per_window:
        return found
    found["tightest_s"] = round(min(map(operator.sub, times[per_window:], times[:-per_window])), 4)
    low, high = int(trim * count), int((1 - trim) * count) - per_window
    if high - low < max(1, per_window // 2):
        return found  # too short a run for a steady part: report the overall rate only
    gap = (sum(times[low + per_window:high + per_window]) - sum(times[low:high])) / (high - low)
    found["steady_per_s"] = round(per_window / gap, 3)
    found["ratio"] = round(window_s / gap, 4)
    found["mean_window_s"] = round(gap, 4)
    return found


def fold(stats: dict[str, Any]) -> dict[str, Any]:
    """Stats with per-member tables replaced by entries/total/max (duplicates show as max>1)."""
    folded: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, dict) and len(value) > FOLD_OVER:
            numbers = [v for v in value.values() if isinstance(v, int | float)]
            folded[key] = {"entries": len(value), "total": sum(numbers),
                           "max": max(numbers, default=0)}
        elif isinstance(value, list) and len(value) > FOLD_OVER:
            folded[key] = {"entries": len(value), "min": min(value), "max": max(value),
                           "total": sum(value)}
        else:
            folded[key] = value
    return folded


@dataclass
class Arrivals:
    """When the platform accepted each message and received each sending request."""

    sending: Callable[[str], bool]

    def __post_init__(self) -> None:
        self.messages = array("d")
        self.requests = array("d")

    def on_message(self, _message: object) -> None:
        self.messages.append(time.monotonic())

    async def on_prepare(self, request: web.Request, _response: web.StreamResponse) -> None:
        if self.sending(request.path):
            self.requests.append(time.monotonic())


def _register_telegram(spec: dict[str, Any]) -> Any:
    from sandbox.telegram import TelegramEmulator, TelegramKnobs

    # latency_s (default 0) delays every answer, as a distant server would.
    emulator = TelegramEmulator(TelegramKnobs(seed=1, latency_s=float(spec.get("latency_s", 0))))
    tokens = spec.get("tokens") or [TELEGRAM_TOKEN]
    for token in tokens:
        emulator.add_bot(token)
    first = int(spec["first_id"])
    for user_id in range(first, first + int(spec["users"])):
        emulator.add_user(user_id)
        for token in tokens:
            emulator.start_bot(token, user_id)
    return emulator


def _register_vk(spec: dict[str, Any]) -> Any:
    from sandbox.vk import VkEmulator, VkKnobs

    emulator = VkEmulator(VkKnobs(seed=1))
    first = int(spec["first_id"])
    for user_id in range(first, first + int(spec["users"])):
        emulator.register_user(user_id, allowed=True)
    return emulator


def _register_viber(spec: dict[str, Any]) -> Any:
    from sandbox.viber import ViberEmulator, ViberKnobs

    emulator = ViberEmulator(ViberKnobs(seed=1, auth_token=VIBER_TOKEN))
    first = int(spec["first_id"])
    for user_id in range(first, first + int(spec["users"])):
        # Subscribed before any webhook exists, as subscribe() would leave them, without
        # building a callback that nobody receives (a third of the cost at 900,000).
        emulator.add_user(str(user_id)).subscribed = True
    return emulator


REGISTER = {"telegram": _register_telegram, "vk": _register_vk, "viber": _register_viber}


def _summary_route(emulator: Any, arrivals: Arrivals) -> Any:
    async def summary(request: web.Request) -> web.Response:
        query = request.query
        trim, window_s = float(query.get("trim", "0.1")), float(query.get("window_s", "1"))
        return web.json_response({
            "messages": steady(arrivals.messages, int(query["messages"]), window_s, trim),
            "requests": steady(arrivals.requests, int(query["requests"]), window_s, trim),
            "stats": fold(emulator.stats()),
        })

    return summary


async def _serve(spec: dict[str, Any], stop: asyncio.Event) -> None:
    started: list[Any] = []
    ready: dict[str, Any] = {"setup_s": {}}
    try:
        for name, part in spec.items():
            began = time.perf_counter()
            emulator = REGISTER[name](part)
            arrivals = Arrivals(SENDING[name])
            emulator.add_bot_message_listener(arrivals.on_message)
            emulator.app.on_response_prepare.append(arrivals.on_prepare)
            emulator.app.router.add_get(SUMMARY_ROUTE, _summary_route(emulator, arrivals))
            if name == "telegram" and part.get("probe"):  # bench.chat: press accounts
                from bench.chat_probe import add_probe

                add_probe(emulator, TELEGRAM_TOKEN, [int(u) for u in part["probe"]])
            ready[name] = await emulator.start(host="127.0.0.1", port=0)
            started.append(emulator)
            ready["setup_s"][name] = round(time.perf_counter() - began, 2)
        # Millions of emulated members' objects, built once: a full collection walking them
        # paused the emulator for hundreds of milliseconds in the middle of a measurement
        # (a late answer holds every answer-closed window behind it). The platforms do not
        # pause like that; the members' state is kept out of the collector instead.
        gc.collect()
        gc.freeze()
        print(json.dumps(ready), flush=True)
        await stop.wait()
    finally:
        for emulator in reversed(started):
            await emulator.close()


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    def wait() -> None:
        with contextlib.suppress(Exception):
            sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait, daemon=True, name="stdin-eof").start()


async def _main(spec: dict[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    _watch_stdin(loop, stop)
    await _serve(spec, stop)


# The parent's side ---------------------------------------------------------------------


async def _spawn(spec: dict[str, Any], log: Path) -> tuple[asyncio.subprocess.Process,
                                                             dict[str, Any]]:
    """One child serving the emulators in `spec`; returns it once it printed its URLs."""
    with log.open("ab") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.platforms", json.dumps(spec),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=errors,
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        raise
    if not line:
        await process.wait()
        raise RuntimeError(f"the emulators did not start (see {log})")
    return process, json.loads(line)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    assert process.stdin is not None
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 15.0)
    except TimeoutError:
        process.kill()
        await process.wait()


class Platforms:
    """The emulators, each in a child process of its own (a busy Viber must not slow the
    Telegram emulator's answers); `base(name)` is each one's api_base."""

    def __init__(self, processes: list[asyncio.subprocess.Process],
                 ready: dict[str, Any]) -> None:
        self.processes = processes
        self.ready = ready

    @classmethod
    async def start(cls, spec: dict[str, Any], log: Path) -> Platforms:
        started = await asyncio.gather(
            *(_spawn({name: part}, log) for name, part in spec.items()), return_exceptions=True)
        processes = [found[0] for found in started if not isinstance(found, BaseException)]
        failed = [found for found in started if isinstance(found, BaseException)]
        if failed:
            await asyncio.gather(*(_stop(p) for p in processes))
            raise failed[0]
        ready: dict[str, Any] = {"setup_s": {}}
        for found in started:
            assert not isinstance(found, BaseException)
            ready["setup_s"].update(found[1].pop("setup_s"))
            ready.update(found[1])
        return cls(processes, ready)

    def base(self, name: str) -> str:
        return str(self.ready[name])

    def cpu_s(self) -> float:
        """CPU seconds the emulator processes have used so far (user + system)."""
        import psutil

        total = 0.0
        for process in self.processes:
            times = psutil.Process(process.pid).cpu_times()
            total += times.user + times.system
        return total

    def setup_s(self, name: str) -> float:
        """Seconds the child took to build the emulator and register its members."""
        return float(self.ready["setup_s"][name])

    def rss_mb(self) -> float:
        """Resident memory of the emulator processes now, in MiB."""
        import psutil

        total = sum(int(psutil.Process(p.pid).memory_info().rss) for p in self.processes)
        return total / 2**20

    async def summary(self, name: str, *, messages: int, requests: int, window_s: float = 1.0,
                      trim: float = 0.1) -> dict[str, Any]:
        """Steady rates for a ceiling of `messages` (and `requests`) per `window_s`."""
        query = {"messages": messages, "requests": requests, "window_s": window_s, "trim": trim}
        url = f"{self.base(name)}{SUMMARY_ROUTE}"
        async with aiohttp.ClientSession() as session, \
                session.get(url, params={k: str(v) for k, v in query.items()}) as response:
            response.raise_for_status()
            found: dict[str, Any] = await response.json()
            return found

    async def close(self) -> None:
        await asyncio.gather(*(_stop(process) for process in self.processes))


if __name__ == "__main__":
    asyncio.run(_main(json.loads(sys.argv[1])))
