"""`rupor backup`: a consistent copy of the SQLite database while `rupor run` writes to it
(SQLite's online backup API), checked before its path is printed. PostgreSQL is backed up
with its own tools (pg_dump), as the README says."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from bots.cli.context import AppContext, pass_app
from bots.console import fail

BUSY_TIMEOUT_S = 60  # a writer's transaction (a chunk of a run) ends well within this
# What a person reads: how much the copy holds, so an empty or wrong file stands out.
COUNTED = {"people": "членов профсоюза", "contacts": "аккаунтов", "campaigns": "рассылок",
           "deliveries": "доставок"}

NOT_SQLITE = (
    "rupor backup копирует только базу SQLite, а в [database] url — {backend}. Для "
    "PostgreSQL сделайте копию его средствами: pg_dump --format=custom "
    "--file=rupor.dump <адрес базы>; восстановление — pg_restore (см. README, «Эксплуатация»)"
)
NO_DATABASE = "базы данных {path} нет: проверьте [database] url"
EXISTS = "файл {path} уже есть: укажите другой --out"
CORRUPT = "копия {path} не прошла проверку целостности ({check}) и удалена; повторите"
DONE = "Копия базы данных: {path} ({size}), проверка целостности пройдена."
HOLDS = "В ней: {counts}."
RESTORE = ("Восстановить: остановите rupor run, замените этой копией файл {source}, "
           "запустите снова.")


def default_target(source: Path, now: datetime) -> Path:
    """<database>-backup-YYYYmmdd-HHMMSS.sqlite3 beside the database."""
    return source.with_name(f"{source.stem}-backup-{now:%Y%m%d-%H%M%S}.sqlite3")


def online_copy(source: Path, target: Path) -> None:
    """Copy `source` into `target` in one step of the backup API: one read transaction, so
    the copy is the database as of one moment (WAL lets writers go on meanwhile); written
    to a .part file first, so an interrupted copy never looks like a backup."""
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    with closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)) as src, \
            closing(sqlite3.connect(part)) as dst:
        src.backup(dst)  # pages=-1: all at once
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    part.rename(target)


def integrity(path: Path) -> tuple[str, dict[str, int]]:
    """PRAGMA integrity_check's answer ("ok") and the row counts of COUNTED tables."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        check = "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in COUNTED if table in tables}
    return check, counts


def human_size(size: int) -> str:
    """1 234 567 bytes -> "1,2 МБ" (Russian decimal comma)."""
    for unit, scale in (("ГБ", 1 << 30), ("МБ", 1 << 20), ("КБ", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{size} Б"


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Куда записать копию (по умолчанию рядом с базой, с датой и временем).")
@pass_app
def backup(app: AppContext, out: Path | None) -> None:
    """Копия базы SQLite на ходу: rupor run может работать; проверяет её целостность."""
    url = make_url(app.settings.database.url)
    if url.get_backend_name() != "sqlite":
        fail(NOT_SQLITE.format(backend=url.get_backend_name()))
    source = Path(url.database or "")
    if not url.database or not source.is_file():
        fail(NO_DATABASE.format(path=source))
    target = out or default_target(source, datetime.now())
    if target.exists():
        fail(EXISTS.format(path=target))
    online_copy(source, target)
    check, counts = integrity(target)
    if check != "ok":
        target.unlink()
        fail(CORRUPT.format(path=target, check=check))
    # Plain lines, never wrapped: scripts and people copy the path from them.
    click.echo(DONE.format(path=target, size=human_size(target.stat().st_size)))
    click.echo(HOLDS.format(counts=", ".join(f"{COUNTED[t]} — {n}" for t, n in counts.items())))
    click.echo(RESTORE.format(source=source.resolve()))
