"""3. Core overhead.

- Deliveries per second the core claims, sends and records through the recording fake
  channel (core.sending.recording.RecordingChannel) with Viber's batch size (300 recipients per
  call) and no ceiling to speak of, on a SQLite file. Goal >= 20,000/s (the three ceilings
  at once need about 17,000/s). `--profile FILE` runs this one under pyinstrument.
- Telegram at the paid-broadcast ceiling: `[sending] telegram_ceiling = 1000`, so the
  adapter sends with allow_paid_broadcast=True, through aiogram against the emulator
  (paid_ceiling 1000). Goal >= 0.90 of 1,000 messages/s.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.ceiling import cpu_meter, rate_errors
from bench.db import Cohort, fresh_database, populate, prepare_run
from bench.harness import Context, Figure, figure, note, rounded
from bench.platforms import Platforms
from bench.wiring import Rupor, send_all, settings_for
from core.sending.outbox import Policy
from core.sending.recording import FAST, RecordingChannel
from core.storage.engine import create_engine

GOAL_PER_S = 20_000
GOAL_PAID_RATIO = 0.90
PAID_CEILING = 1000
LOOPBACK = dataclasses.replace(FAST, max_recipients_per_call=300)


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """Run the block under pyinstrument (async-aware) and write the profile to `path`:
    HTML for a .html path, else text. Without a path, just run the block."""
    if path is None:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled", interval=0.001)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        if path.suffix == ".html":
            path.write_text(profiler.output_html(), encoding="utf-8")
        else:
            path.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
        note(f"profile written to {path}")


def sibling(path: Path | None, label: str) -> Path | None:
    """profile.html -> profile-<label>.html"""
    return None if path is None else path.with_name(f"{path.stem}-{label}{path.suffix}")


async def recording_channel(ctx: Context) -> Figure:
    """Deliveries/s of claim → send → record with a channel that answers at once."""
    count = int(ctx.mode.pick(2_000, 40_000, 300_000))
    url = await fresh_database(ctx.subdir("overhead-recording"))
    await populate(url, [Cohort("loopback", count, 100_000, "L")])
    engine = create_engine(url)
    channel = RecordingChannel(name="loopback", capabilities=LOOPBACK)
    try:
        run = await prepare_run(engine, {"loopback": LOOPBACK})
        cpu = time.process_time()
        with profiled(ctx.profile):
            sent = await send_all(engine, {"loopback": channel}, {"loopback": Policy()},
                                  {"loopback": count})
        cpu = time.process_time() - cpu
    finally:
        await engine.dispose()
    elapsed = sent.elapsed_s.get("loopback")
    rate = count / elapsed if elapsed else 0.0
    return figure(
        "overhead", "core via RecordingChannel", f">= {GOAL_PER_S:,} deliveries/s",
        rate >= GOAL_PER_S and len(channel.sent) == count,
        deliveries=count, deliveries_per_s=round(rate), elapsed_s=rounded(elapsed, 2),
        cpu_s=rounded(cpu, 2), calls=len(channel.calls), sent=len(channel.sent),
        materialise_s=rounded(run.materialise_s, 2), statuses=sent.statuses.get("loopback"),
        profiled=ctx.profile is not None,
        summary=f"{rate:,.0f} deliveries/s ({count:,} in {elapsed or 0:.1f} s, "
                f"{cpu:.1f} s CPU)",
    )


async def paid_telegram(ctx: Context) -> Figure:
    """Telegram with allow_paid_broadcast at 1,000/s, adapter + core against the emulator."""
    count = int(ctx.mode.pick(300, 5_000, 30_000))
    directory = ctx.subdir("overhead-paid")
    url = await fresh_database(directory)
    await populate(url, [Cohort("telegram", count, 100_000, "T")])
    platforms = await Platforms.start({"telegram": {"users": count, "first_id": 100_000}},
                                      directory / "emulators.log")
    try:
        rupor = await Rupor.open(settings_for(url, platforms, ["telegram"],
                                              telegram_ceiling=PAID_CEILING))
        try:
            await prepare_run(rupor.engine, rupor.capabilities())
            meter = cpu_meter(platforms)
            with profiled(sibling(ctx.profile, "telegram-paid")):
                sent = await rupor.send_all({"telegram": count})
            cpu = meter()
        finally:
            await rupor.close()
        summary = await platforms.summary("telegram", messages=PAID_CEILING,
                                          requests=PAID_CEILING)
    finally:
        await platforms.close()
    return _paid_figure(count, summary, sent.elapsed_s.get("telegram"), cpu,
                        ctx.profile is not None)


def _paid_figure(count: int, summary: dict[str, Any], elapsed: float | None,
                 cpu: dict[str, float], under_profiler: bool) -> Figure:
    stats, messages = summary["stats"], summary["messages"]
    ratio = messages.get("ratio")
    errors = rate_errors("telegram", stats)
    delivered = int(stats["accepted_messages_total"])
    met = None if ratio is None else (ratio >= GOAL_PAID_RATIO and delivered == count
                                      and stats["violations"] == 0 and errors == 0)
    shown = "too short to measure" if ratio is None else \
        f"ratio {ratio:.3f} ({messages['steady_per_s']:,.0f}/{PAID_CEILING:,} msgs/s)"
    return figure(
        "overhead", "telegram paid broadcast", f"ratio >= {GOAL_PAID_RATIO} of "
        f"{PAID_CEILING:,}/s, all delivered, 0 rate errors", met,
        members=count, ratio=ratio, sustained_per_s=rounded(messages["steady_per_s"], 1),
        ceiling_per_s=PAID_CEILING, overall_per_s=rounded(messages["overall_per_s"], 1),
        delivered=delivered, rupor_elapsed_s=rounded(elapsed, 2),
        violations=stats["violations"], **{"429s": errors},
        max_sends_in_1s=stats.get("max_sends_in_1s"),
        **{k: rounded(v, 2) for k, v in cpu.items()},
        profiled=under_profiler,
        summary=f"{shown}, {delivered:,}/{count:,} delivered, {errors} rate errors",
    )


async def run(ctx: Context) -> None:
    ctx.emit(await recording_channel(ctx))
    ctx.emit(await paid_telegram(ctx))
