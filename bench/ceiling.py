"""1. Ceiling ratio: sustained sends / the platform's ceiling, each channel alone and all
three at once, measured by the emulator over the steady part of the run (arrivals between
10 % and 90 % of the span from the first to the last accepted message).

Telegram 30 messages/s; VK 20 requests/s × 100 peers = 2,000 messages/s; Viber 500
requests / 10 s × 300 receivers = 15,000 messages/s. Goal: >= 0.97 with zero requests
inside retry_after windows and zero rate errors (429 / VK 6 / Viber 12).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.db import Cohort, fresh_database, populate, prepare_run
from bench.harness import Context, Figure, figure, note, rounded
from bench.pacing import decompose
from bench.platforms import Platforms
from bench.wiring import Rupor, SendResult, settings_for

GOAL_RATIO = 0.97
TRIM = 0.1
# (messages per request, requests per window, window in seconds) at the default limits:
# Viber's documented limit is 500 requests per 10 s, so it is judged over 10 s windows.
CEILINGS = {"telegram": (1, 30, 1.0), "vk": (100, 20, 1.0), "viber": (300, 500, 10.0)}


def ceiling_per_s(channel: str) -> tuple[float, float]:
    """(messages per second, requests per second) at the channel's ceiling."""
    per_request, per_window, window_s = CEILINGS[channel]
    return per_request * per_window / window_s, per_window / window_s
FIRST_ID = {"telegram": 100_000, "vk": 1_000_000, "viber": 10_000_000}
PREFIX = {"telegram": "T", "vk": "K", "viber": "V"}


def audience(ctx: Context, channel: str) -> int:
    """Members per channel: about a minute of sending in full mode, seconds in quick."""
    sizes = {
        "telegram": ctx.mode.pick(40, 150, 2_000),
        "vk": ctx.mode.pick(600, 10_000, 120_000),
        # Viber is judged over its 10 s window: a steady part needs about 1,000 calls.
        "viber": ctx.mode.pick(1_500, 300_000, 900_000),
    }
    return int(sizes[channel])


def cpu_meter(platforms: Platforms) -> Callable[[], dict[str, float]]:
    """CPU seconds used from now by Rupor's process (all threads) and the emulators'."""
    began, rupor = time.perf_counter(), time.process_time()
    emulators = platforms.cpu_s()

    def used() -> dict[str, float]:
        wall = time.perf_counter() - began
        spent = time.process_time() - rupor
        return {"rupor_cpu_s": spent, "rupor_cores": spent / wall if wall else 0.0,
                "emulator_cpu_s": platforms.cpu_s() - emulators}

    return used


def refusals(channel: str, stats: dict[str, Any]) -> Any:
    """Why the platform refused anything (for diagnosis when rate errors appear)."""
    if channel == "telegram":
        return stats.get("rate_limit_refusals", {})
    if channel == "vk":
        return stats.get("errors_by_code", {})
    return stats.get("errors_by_status", {})


def rate_errors(channel: str, stats: dict[str, Any]) -> int:
    """Refusals for going too fast: Telegram 429, VK errors 6/9/29, Viber status 12."""
    if channel == "telegram":
        return int(stats.get("rate_limited", 0))
    if channel == "vk":
        codes = stats.get("errors_by_code", {})
        return sum(int(codes.get(code, 0)) for code in ("6", "9", "29"))
    return int(stats.get("status_12", 0))


def _verdict(ratio: float | None, stats: dict[str, Any], errors: int, complete: bool
             ) -> bool | None:
    if not complete or stats["violations"] or errors:
        return False
    return None if ratio is None else ratio >= GOAL_RATIO


def _figure(case: str, channel: str, members: int, summary: dict[str, Any],
            sent: SendResult, materialise_s: float, cpu: dict[str, float]) -> Figure:
    _, per_window, window_s = CEILINGS[channel]
    ceiling, requests_per_s = ceiling_per_s(channel)
    stats, messages, requests = summary["stats"], summary["messages"], summary["requests"]
    ratio = messages.get("ratio")
    errors = rate_errors(channel, stats)
    delivered = int(stats.get("accepted_messages_total", 0))
    met = _verdict(ratio, stats, errors, delivered == members and not sent.stalled)
    shown = "too short to measure" if ratio is None else \
        f"ratio {ratio:.3f} ({messages['steady_per_s']:,.1f}/{ceiling:,.0f} msgs/s)"
    return figure(
        "ceiling", case, f"ratio >= {GOAL_RATIO}, 0 violations, 0 rate errors, all delivered",
        met, channel=channel, members=members, ratio=ratio,
        sustained_per_s=rounded(messages["steady_per_s"], 1), ceiling_per_s=ceiling,
        request_ratio=requests.get("ratio"),
        sustained_requests_per_s=rounded(requests["steady_per_s"], 2),
        ceiling_requests_per_s=requests_per_s, requests=requests["count"],
        tightest_window_s=requests["tightest_s"], cycle_s=requests.get("mean_window_s"),
        delivered=delivered,
        span_s=messages["span_s"], overall_per_s=rounded(messages["overall_per_s"], 1),
        rupor_elapsed_s=rounded(sent.elapsed_s.get(channel), 2),
        materialise_s=rounded(materialise_s, 2), violations=stats["violations"],
        **{"429s": errors}, statuses=sent.statuses.get(channel, {}),
        **{k: rounded(v, 2) for k, v in cpu.items()},
        pacer_pauses=sent.pauses.get(channel, 0), refusals=refusals(channel, stats),
        window_s=window_s, **decompose(sent.calls.get(channel, []), per_window, window_s),
        **sent.loop,
        summary=f"{channel}: {shown}, {delivered:,}/{members:,} delivered, "
                f"{stats['violations']} violations, {errors} rate errors",
    )


async def run_case(ctx: Context, case: str, channels: list[str]) -> list[Figure]:
    """One database, one emulator process, the given channels sending at once."""
    sizes = {name: audience(ctx, name) for name in channels}
    directory = ctx.subdir(f"ceiling-{case}")
    url = await fresh_database(directory)
    await populate(url, [Cohort(n, sizes[n], FIRST_ID[n], PREFIX[n]) for n in channels])
    spec = {n: {"users": sizes[n], "first_id": FIRST_ID[n]} for n in channels}
    platforms = await Platforms.start(spec, directory / "emulators.log")
    try:
        rupor = await Rupor.open(settings_for(url, platforms, channels))
        try:
            run = await prepare_run(rupor.engine, rupor.capabilities())
            note(f"ceiling/{case}: {run.deliveries:,} deliveries materialised in "
                 f"{run.materialise_s:.1f} s; sending")
            cpu = cpu_meter(platforms)
            sent = await rupor.send_all(sizes)
            used = cpu()
        finally:
            await rupor.close()
        made = []
        rss = round(platforms.rss_mb())
        for name in channels:
            per_request, per_window, window_s = CEILINGS[name]
            summary = await platforms.summary(name, messages=per_request * per_window,
                                              requests=per_window, window_s=window_s, trim=TRIM)
            found = _figure(case, name, sizes[name], summary, sent, run.materialise_s, used)
            found.update(emulator_setup_s=platforms.setup_s(name), emulators_rss_mb=rss)
            made.append(ctx.emit(found))
        return made
    finally:
        await platforms.close()


async def run(ctx: Context) -> None:
    # Quick mode keeps under two minutes: Viber (about 20 s of sending at the least) is
    # measured only with the other two there.
    alone = ctx.mode.pick(("telegram", "vk", "viber"), ("telegram", "vk"),
                          ("telegram", "vk", "viber"))
    for channel in alone:
        await run_case(ctx, f"{channel} alone", [channel])
    await run_case(ctx, "all three at once", ["telegram", "vk", "viber"])
