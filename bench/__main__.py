"""`python -m bench --quick|--full [--only NAME ...] [--profile FILE] [--keep DIR]`.

Prints one JSON line per figure as it is measured, then the table. Exit status 0 when
every benchmark ran (met or not: the figures say so), 1 when one failed to run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench.harness import Benchmark, Context, Mode, machine, note, table


def benchmarks() -> dict[str, Benchmark]:
    """Every benchmark family, in the order a full run takes them."""
    from bench import ceiling, chat, inbound, overhead, peers, scale, votes

    return {
        "ceiling": ceiling.run,
        "peers": peers.run,
        "overhead": overhead.run,
        "scale": scale.run,
        "inbound": inbound.run,
        "votes": votes.run,
        "chat": chat.run,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", dest="mode", const="quick",
                      help="small sizes, under 2 minutes in all (the default)")
    size.add_argument("--full", action="store_const", dest="mode", const="full",
                      help="the sizes of docs/benchmarks.md (about half an hour)")
    size.add_argument("--smoke", action="store_const", dest="mode", const="smoke",
                      help="tiny sizes, seconds (the test suite's smoke test)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(benchmarks())}")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="profile with pyinstrument: the core benchmark into FILE, the "
                             "paid Telegram run into FILE-telegram-paid, the inbound server "
                             "into FILE-inbound-<channel>, the vote server into "
                             "FILE-votes-<channel> (.html for the browser view, else text); "
                             "those figures are then marked profiled: the profiler slows "
                             "them, so measure and profile in separate runs")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="work in DIR and keep the databases and logs")
    args = parser.parse_args(argv)
    args.mode = args.mode or "quick"
    unknown = set(args.only or ()) - set(benchmarks())
    if unknown:
        parser.error(f"unknown benchmark {sorted(unknown)}; choose from {list(benchmarks())}")
    return args


async def run_all(ctx: Context, names: Sequence[str]) -> list[str]:
    """Run the named benchmarks; returns the names of those that crashed."""
    failed = []
    for name in names:
        began = time.perf_counter()
        note(f"{name}: start ({ctx.mode.name})")
        try:
            await benchmarks()[name](ctx)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        note(f"{name}: {time.perf_counter() - began:.1f} s")
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    names = args.only or list(benchmarks())
    began = time.perf_counter()
    print(json.dumps({"machine": machine(), "mode": args.mode, "benchmarks": names}), flush=True)
    with tempfile.TemporaryDirectory(prefix="rupor-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        ctx = Context(Mode(args.mode), workdir, profile=args.profile)
        failed = asyncio.run(run_all(ctx, names))
    print()
    print(table(ctx.figures))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{args.mode} run: {time.perf_counter() - began:.0f} s; load average now {load}"
          + (f"; FAILED to run: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
