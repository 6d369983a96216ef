"""How long `rupor audience import` takes on SQLite: a fresh import, then the same file again.

    python -m bench.import_members [ROWS ...]      (default: 10000 100000)

Rows are spread round-robin over 100 schools (the worst case for look-ups by name: every
batch touches every school); three in four have a messenger id, all have a member_id.
Prints wall-clock and CPU seconds (CPU counts the SQLite worker thread too, so on a busy
machine it is the fairer figure).
"""

from __future__ import annotations

import asyncio
import csv
import sys
import tempfile
import time
from pathlib import Path

from bench.db import REGION
from core.audience.importing.job import import_members
from core.storage.engine import create_engine, session_factory
from core.storage.schema import upgrade

HEADER = ["full_name", "org_path", "roles", "telegram_id", "vk_id", "viber_id", "member_id", "tags"]


def write_members(path: Path, count: int) -> None:
    """Rows round-robin over 100 schools; 3 in 4 with a messenger id; all with a card number."""
    with path.open("w", encoding="utf-8", newline="") as output:
        writer = csv.writer(output)
        writer.writerow(HEADER)
        for n in range(count):
            district, school = divmod(n % 100, 20)
            channel = n % 4
            writer.writerow([
                f"Член Профсоюза {n}", f"{REGION}/Район {district}/Школа № {school}",
                "member,young_teacher" if n % 7 == 0 else "member",
                str(10_000_000 + n) if channel == 0 else "",
                str(n + 1) if channel == 1 else "",
                f"viber{n}==" if channel == 2 else "",
                f"59{n:08d}", "профком" if n % 10 == 0 else "",
            ])


async def measure(directory: Path, count: int) -> None:
    members = directory / f"members-{count}.csv"
    write_members(members, count)
    url = f"sqlite:///{directory / f'bench-{count}.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        for label in ("fresh", "again"):
            wall, cpu = time.perf_counter(), time.process_time()
            report = await import_members(session_factory(engine), members)
            print(
                f"{count:>7} rows, {label}: {time.perf_counter() - wall:6.2f} s wall, "
                f"{time.process_time() - cpu:6.2f} s CPU "
                f"({report.people_created} created, {report.people_unchanged} unchanged, "
                f"{len(report.rejected)} rejected)"
            )
    finally:
        await engine.dispose()


def main() -> None:
    counts = [int(arg) for arg in sys.argv[1:]] or [10_000, 100_000]
    with tempfile.TemporaryDirectory() as directory:
        for count in counts:
            asyncio.run(measure(Path(directory), count))


if __name__ == "__main__":
    main()
