"""The shared harness: modes and sizes, figures (goal + met), the table and the JSON lines.

A figure is a flat JSON object: `bench`, `case`, `goal`, `met` and its measured values.
JSON lines go to stdout as each figure is made; the table follows at the end; progress
notes go to stderr so that stdout stays machine-readable apart from the table.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

MODES = ("smoke", "quick", "full")


@dataclass(frozen=True)
class Mode:
    """How big a run is: `smoke` (tests, seconds), `quick` (< 2 min in all), `full` (docs)."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in MODES:
            raise ValueError(f"mode must be one of {MODES}")

    def pick(self, smoke: Any, quick: Any, full: Any) -> Any:
        """The size for this mode."""
        return {"smoke": smoke, "quick": quick, "full": full}[self.name]


Figure = dict[str, Any]


def figure(bench: str, case: str, goal: str, met: bool | None, **values: Any) -> Figure:
    """One measured figure; `met` is None when the figure has no goal of its own."""
    return {"bench": bench, "case": case, "goal": goal, "met": met, **values}


@dataclass
class Context:
    """What a benchmark gets: the mode, a scratch directory, and where figures go."""

    mode: Mode
    workdir: Path
    out: TextIO = field(default_factory=lambda: sys.stdout)
    profile: Path | None = None
    figures: list[Figure] = field(default_factory=list)

    def emit(self, made: Figure) -> Figure:
        """Record a figure (with the machine's load average now) and print its JSON line."""
        made.setdefault("load_1m", round(os.getloadavg()[0], 2))
        self.figures.append(made)
        self.out.write(json.dumps(made, ensure_ascii=False, default=_plain) + "\n")
        self.out.flush()
        return made

    def subdir(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


Benchmark = Callable[[Context], Awaitable[None]]


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")


def machine() -> dict[str, Any]:
    """What the figures were measured on: cores, CPU model, RAM, Python, SQLite, load."""
    import platform
    import sqlite3

    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                      if line.startswith("model name")), "")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(),
            "ram_gib": round(ram, 1), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "load_avg": [round(x, 2) for x in os.getloadavg()]}


def note(text: str) -> None:
    """A progress line on stderr."""
    print(f"[bench] {text}", file=sys.stderr, flush=True)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed:` … `elapsed()` is the seconds since entry."""
    began = time.perf_counter()
    yield lambda: time.perf_counter() - began


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (share in 0..1) of unsorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _cell(made: Figure) -> str:
    return str(made.get("summary", ""))


def table(figures: Sequence[Figure]) -> str:
    """A plain-text table: bench, case, the summary, the goal and whether it is met."""
    header = ("bench", "case", "result", "goal", "met")
    rows = [header] + [
        (
            str(f["bench"]),
            str(f["case"]),
            _cell(f),
            str(f["goal"]),
            "-" if f["met"] is None else ("yes" if f["met"] else "NO"),
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
