"""What a person sees while the suite sends until idle (`rupor run --until-idle`, the demo):
per-channel progress, then a summary of what happened to every delivery."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from bots.console import NOT_AVAILABLE, console, number, table
from core.ports import Capabilities

if TYPE_CHECKING:
    from bots.suite import Suite

# Summary columns: the delivery statuses each one adds up.
# Headers break where a Russian word may be hyphenated, so eight columns fit 80 characters.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Отправ-\nлено", ("sent", "delivered", "read")),
    ("Достав-\nлено", ("delivered", "read")),
    ("Прочи-\nтано", ("read",)),
    ("Заблоки-\nровали", ("blocked", "unsubscribed")),
    ("Недос-\nтупны", ("wrong_id", "unreachable", "skipped")),
    ("Ошибка", ("failed", "invalid")),
    ("Не\nясно", ("uncertain",)),
)
NEEDS = {"Достав-\nлено": "delivery_receipts", "Прочи-\nтано": "read_receipts"}
LINE_EVERY_S = 2.0  # without a terminal: one progress line this often


def sent_so_far(suite: Suite) -> dict[str, int]:
    """Deliveries this process has finished per channel (every outcome counts)."""
    return {
        name: sum(sum(counts.values()) for counts in sender.progress.values())
        for name, sender in suite.senders.items()
    }


def runs_touched(suite: Suite) -> set[int]:
    return {run_id for sender in suite.senders.values() for run_id in sender.progress}


class SendingProgress:
    """The suite's on_progress: bars per channel on a terminal, else a line now and then."""

    def __init__(self, queue: Mapping[str, tuple[int, int]]) -> None:
        """`queue`: channel -> (already finished, in all) when sending starts."""
        self.already = {name: done for name, (done, _) in queue.items()}
        self.totals = {name: total for name, (_, total) in queue.items()}
        self.started = time.monotonic()
        self.last_line = 0.0
        self.bars: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        if sys.stderr.isatty():
            self.bars = Progress(TextColumn("{task.description:<9}"), BarColumn(),
                                 MofNCompleteColumn(), console=console(stderr=True),
                                 transient=True)
            self.bars.start()

    def __call__(self, suite: Suite) -> None:
        done = {name: count + self.already.get(name, 0)
                for name, count in sent_so_far(suite).items()}
        for name, count in done.items():
            self.totals[name] = max(self.totals.get(name, 0), count)
        if self.bars is not None:
            for name, count in done.items():
                if name not in self.tasks:
                    self.tasks[name] = self.bars.add_task(name, total=self.totals[name])
                self.bars.update(self.tasks[name], completed=count, total=self.totals[name])
            return
        now = time.monotonic()
        if now - self.last_line >= LINE_EVERY_S:
            self.last_line = now
            parts = [f"{n} {number(c)} из {number(self.totals[n])}" for n, c in done.items()]
            print(f"  {now - self.started:5.1f} с  " + " · ".join(parts), flush=True)

    def stop(self) -> None:
        if self.bars is not None:
            self.bars.stop()


def _cell(header: str, statuses: tuple[str, ...], counts: Counter[str],
          caps: Capabilities | None) -> str:
    needs = NEEDS.get(header)
    if needs is not None and caps is not None and not getattr(caps, needs):
        return NOT_AVAILABLE
    return number(sum(counts[s] for s in statuses))


def summary_table(
    per_channel: Mapping[str, Counter[str]], capabilities: Mapping[str, Capabilities],
    elapsed_s: float,
) -> Table:
    """One row per channel with the outcome of every delivery of the runs sent."""
    rows = [
        [name, *(_cell(h, s, counts, capabilities.get(name)) for h, s in COLUMNS)]
        for name, counts in per_channel.items()
    ]
    title = f"Итог отправки за {elapsed_s:.1f} с".replace(".", ",")
    return table(title, ("Канал", *(h for h, _ in COLUMNS)), rows)


def summary_notes(
    per_channel: Mapping[str, Counter[str]], capabilities: Mapping[str, Capabilities]
) -> str:
    flagged = sum(counts["flagged"] for counts in per_channel.values())
    notes = [
        "Недоступны — неверный id (платформа не знает такого пользователя — исправьте id "
        "в списке членов) или нет действующей подписки ни в одном мессенджере рассылки.",
        "Не ясно — ответ платформы потерян: сообщение могло дойти, возможно дважды "
        f"(всего таких отметок: {number(flagged)}).",
    ]
    silent = []
    for name, caps in sorted(capabilities.items()):
        missing = [what for what, has in (("о доставке", caps.delivery_receipts),
                                          ("о прочтении", caps.read_receipts)) if not has]
        if missing:
            silent.append(f"{name} — {' и '.join(missing)}")
    if silent:
        notes.append(f"{NOT_AVAILABLE} — платформа не сообщает боту: {'; '.join(silent)}.")
    return "\n".join(notes)
