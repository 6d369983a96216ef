"""How the command line shows things to people: Russian messages, tables that fit an
80-column terminal, progress for long work, and JSON for scripts."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

NOT_AVAILABLE = "н/д"


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr); 80 columns when the output is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 80
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def fail(message: str, status: int = 1) -> NoReturn:
    """One line on stderr and the exit status (1: refused, 2: wrong usage or settings)."""
    click.echo(f"rupor: {message}", err=True)
    sys.exit(status)


def number(value: int) -> str:
    """12 345 — digits grouped as Russian readers expect (a narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def table(
    title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
    total: Sequence[str] | None = None, wrap_first: bool = True,
) -> Table:
    """A table with the first column left-aligned and the rest right-aligned numbers."""
    view = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False,
                 show_footer=total is not None, collapse_padding=True)
    for index, header in enumerate(headers):
        footer = total[index] if total is not None else ""
        if index == 0:
            view.add_column(header, footer=footer, overflow="fold" if wrap_first else "ellipsis",
                            ratio=3)
        else:
            view.add_column(header, footer=footer, justify="right", overflow="fold")
    for row in rows:
        view.add_row(*row)
    return view


def show(*renderables: Any) -> None:
    out = console()
    for renderable in renderables:
        out.print(renderable)


def as_plain(value: Any) -> Any:
    """Dataclasses, tuples and counters as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(as_plain(value), ensure_ascii=False, indent=2, default=str))


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Any]:
    """A progress bar on stderr (so stdout stays clean for tables); yields update(done)."""
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(),
        console=console(stderr=True), transient=True,
        disable=not sys.stderr.isatty(),
    )
    with bar:
        task = bar.add_task(description, total=total)

        def update(done: int) -> None:
            bar.update(task, completed=done)

        yield update
