"""4. Scale on SQLite.

- Materialising a run for 1,000,000 members (goal <= 15 s): one INSERT … SELECT per
  100,000-person chunk, from a union built set-based.
- Peak RSS while sending to 10,000, 100,000 and 1,000,000 members through the recording
  channel, each size in its own process (goal <= 300 MB, and flat as the audience grows:
  the largest size's peak within 15 % of the smallest's).
- `rupor audience import` of a 100,000-row CSV, the real CLI in a subprocess against a
  migrated database (goal <= 20 s).

Quick mode runs smaller sizes and judges them against the same goals as rates
(materialise >= 66,667 members/s, import >= 5,000 rows/s; process start-up included).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.db import Cohort, fresh_database, populate, prepare_run
from bench.harness import Context, Figure, figure, note, rounded
from bench.import_members import write_members
from bench.overhead import LOOPBACK
from core.storage.engine import create_engine

MATERIALISE_GOAL = (1_000_000, 15.0)  # members, seconds
IMPORT_GOAL = (100_000, 20.0)  # rows, seconds
RSS_GOAL_MB = 300.0
FLAT_WITHIN = 0.15


async def loopback_run(directory: Path, count: int) -> tuple[str, float, float]:
    """A database with `count` members on "loopback" and their run materialised; returns
    the URL, the seconds building the members took and the seconds materialising took."""
    url = await fresh_database(directory)
    began = time.perf_counter()
    await populate(url, [Cohort("loopback", count, 100_000, "L")])
    built = time.perf_counter() - began
    engine = create_engine(url)
    try:
        run = await prepare_run(engine, {"loopback": LOOPBACK})
    finally:
        await engine.dispose()
    return url, built, run.materialise_s


async def materialise_figure(ctx: Context, count: int, built: float, seconds: float) -> Figure:
    members, limit = MATERIALISE_GOAL
    rate = count / seconds if seconds else 0.0
    goal_rate = members / limit
    goal = f"<= {limit:.0f} s for {members:,} members ({goal_rate:,.0f} members/s)"
    return ctx.emit(figure(
        "scale", "materialise a run", goal, rate >= goal_rate, members=count,
        materialise_s=rounded(seconds, 2), members_per_s=round(rate),
        projected_s_for_1m=rounded(members / rate if rate else None, 1),
        build_members_s=rounded(built, 1),
        summary=f"{count:,} members in {seconds:.1f} s ({rate:,.0f}/s)",
    ))


async def rss_child(url: str, count: int) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.memory", url, str(count),
        stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bench.memory failed for {count} members")
    found: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return found


async def memory(ctx: Context, sizes: list[int], ready: dict[int, str]) -> None:
    peaks: dict[int, float] = {}
    for count in sizes:
        url = ready.get(count) or (await loopback_run(ctx.subdir(f"rss-{count}"), count))[0]
        found = await rss_child(url, count)
        peaks[count] = found["peak_rss_mb"]
        ok = found["peak_rss_mb"] <= RSS_GOAL_MB and found["sent"] == count
        ctx.emit(figure("scale", f"peak RSS sending to {count:,}", f"<= {RSS_GOAL_MB:.0f} MB",
                        ok, **found, summary=f"peak {found['peak_rss_mb']:.0f} MB "
                        f"(baseline {found['baseline_rss_mb']:.0f} MB) for {count:,} members "
                        f"in {found['elapsed_s']:.1f} s"))
    small, large = peaks[min(sizes)], peaks[max(sizes)]
    growth = large / small - 1 if small else 0.0
    ctx.emit(figure("scale", "RSS flat as the audience grows",
                    f"largest peak within {FLAT_WITHIN:.0%} of the smallest", growth <= FLAT_WITHIN,
                    peaks_mb={str(k): v for k, v in peaks.items()}, growth=rounded(growth),
                    summary=f"{min(sizes):,} -> {max(sizes):,} members: {small:.0f} -> "
                            f"{large:.0f} MB ({growth:+.0%})"))


def rupor_command() -> list[str]:
    script = Path(sys.executable).with_name("rupor")
    return [str(script)] if script.exists() else [
        sys.executable, "-c", "from bots.cli.main import main; main()"]


async def import_csv(ctx: Context, rows: int) -> Figure:
    directory = ctx.subdir("import")
    members = directory / f"members-{rows}.csv"
    write_members(members, rows)
    url = await fresh_database(directory, "import.sqlite3")
    config = directory / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *rupor_command(), "--config", str(config), "audience", "import", str(members),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    seconds = time.perf_counter() - began
    goal_rows, limit = IMPORT_GOAL
    rate = rows / seconds
    report = out.decode().strip().splitlines()
    ok = process.returncode == 0 and rate >= goal_rows / limit
    return ctx.emit(figure(
        "scale", "rupor audience import", f"<= {limit:.0f} s for {goal_rows:,} rows "
        f"({goal_rows / limit:,.0f} rows/s)", ok, rows=rows, seconds=rounded(seconds, 2),
        rows_per_s=round(rate), exit_status=process.returncode, report=report[:2],
        errors=err.decode().strip().splitlines()[-3:],
        summary=f"{rows:,} rows in {seconds:.1f} s ({rate:,.0f} rows/s), "
                f"exit {process.returncode}"))


async def run(ctx: Context) -> None:
    big = int(ctx.mode.pick(2_000, 100_000, 1_000_000))
    note(f"scale: building {big:,} members set-based and materialising their run")
    url, built, seconds = await loopback_run(ctx.subdir("materialise"), big)
    await materialise_figure(ctx, big, built, seconds)
    sizes = [int(s) for s in ctx.mode.pick([500, 2_000], [10_000, 100_000],
                                           [10_000, 100_000, 1_000_000])]
    await memory(ctx, sizes, {big: url})
    await import_csv(ctx, int(ctx.mode.pick(1_000, 20_000, 100_000)))
