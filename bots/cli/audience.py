"""`rupor audience import FILE` and `rupor audience stats`.

Both create the schema when the database is new (a fresh install just works) but never
migrate an existing database behind the operator's back: an older schema asks for
`rupor db upgrade`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from bots.cli.context import AppContext, pass_app
from bots.console import fail, number, print_json, progress, show, table
from core.audience.importing.job import ImportFileError, ImportReport, import_members
from core.audience.stats import AudienceStats, StatsRow, audience_stats
from core.storage.engine import create_engine, session_factory
from core.storage.schema import SchemaError, ensure_schema

LEVELS = {"region": 1, "district": 2, "organisation": 3}
LEVEL_NAMES = {"region": "Регион", "district": "Район", "organisation": "Организация"}


@click.group()
def audience() -> None:
    """Члены профсоюза, организации и их мессенджеры."""


async def _import(
    url: str, file: Path, batch_size: int, on_progress: Callable[[int], None],
    create_orgs: bool = False,
) -> ImportReport:
    engine = create_engine(url)
    try:
        await ensure_schema(engine, url)
        return await import_members(
            session_factory(engine), file, batch_size=batch_size, on_progress=on_progress,
            create_orgs=create_orgs,
        )
    finally:
        await engine.dispose()


def _rows_in(file: Path) -> int | None:
    """About how many member rows the file holds, for the progress bar (None: unknown)."""
    try:
        if file.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            sheet = load_workbook(file, read_only=True).active
            return max((sheet.max_row or 1) - 1, 0) if sheet is not None else None
        with file.open("rb") as raw:
            return max(sum(1 for _ in raw) - 1, 0)
    except Exception:  # the import itself reports an unreadable file, in its own words
        return None


def _print_report(report: ImportReport) -> None:
    rows = [
        ("Строк прочитано", number(report.rows_read)),
        ("Импортировано", number(report.rows_imported)),
        ("Отклонено", number(len(report.rejected))),
        ("Людей добавлено", number(report.people_created)),
        ("Людей обновлено", number(report.people_updated)),
        ("Без изменений", number(report.people_unchanged)),
        ("Мессенджеров добавлено", number(report.contacts_created)),
        ("Мессенджеров привязано к людям", number(report.contacts_linked)),
        ("Организаций создано", number(report.organizations_created)),
    ]
    show(table(f"Импорт: {report.source}", ("Итог", "Число"), rows))
    if report.rejected:
        show(table("Отклонённые строки (исправьте и загрузите файл снова)",
                   ("Строка", "Причина"),
                   [(str(r.line), r.reason) for r in report.rejected], wrap_first=False))


@audience.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--batch-size", default=1000, show_default=True, type=click.IntRange(1, 20_000),
    help="Строк в одной транзакции.",
)
@click.option("--create-orgs", is_flag=True, help="Создать регионы и районы, которых нет.")
@click.option("--json", "as_json", is_flag=True, help="Итог в JSON (для скриптов).")
@pass_app
def import_command(
    app: AppContext, file: Path, batch_size: int, as_json: bool, create_orgs: bool = False
) -> None:
    """Загрузить членов профсоюза из CSV (UTF-8 или cp1251; запятая или точка с запятой)
    или XLSX.

    Столбцы: full_name, org_path, roles, telegram_id, vk_id, viber_id, member_id, tags.
    Повторная загрузка тех же людей ничего не меняет. Код выхода: 0 — загружены все строки,
    1 — часть строк отклонена (каждая указана с номером), 2 — файл нельзя прочитать.
    """
    url = app.settings.database.url
    try:
        with progress(f"Импорт {file.name}", _rows_in(file)) as update:
            report = asyncio.run(_import(url, file, batch_size, update, create_orgs))
    except ImportFileError as exc:
        fail(f"{file}: {exc}", 2)
    except SchemaError as exc:
        fail(str(exc), 2)
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    raise SystemExit(0 if report.complete else 1)


def _cells(row: StatsRow, channels: Sequence[str]) -> list[str]:
    return [
        row.label, number(row.members), *(number(row.reachable[c]) for c in channels),
        number(row.unreachable),
    ]


def render_stats(stats: AudienceStats, level: str = "district") -> None:
    """The table: one row per group, then the total."""
    headers = [LEVEL_NAMES[level], "Членов", *stats.channels, "Без мессен-\nджера"]
    body = [_cells(row, stats.channels) for row in stats.rows]
    total = ["Итого", *_cells(stats.total, stats.channels)[1:]]
    show(table(None, headers, body, total=total))
    show("В столбцах мессенджеров — люди с действующей подпиской; «без мессенджера» — "
         "ни одной действующей подписки ни в одном из них.")


async def _stats(url: str, configured: Sequence[str], depth: int) -> AudienceStats:
    engine = create_engine(url)
    try:
        await ensure_schema(engine, url)
        async with session_factory(engine)() as session:
            return await audience_stats(session, configured, depth)
    finally:
        await engine.dispose()


@audience.command("stats")
@click.option(
    "--by", "level", type=click.Choice(list(LEVELS)), default="district", show_default=True,
    help="Группировать по уровню: region (регион), district (район), organisation.",
)
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def stats_command(app: AppContext, level: str, as_json: bool) -> None:
    """Члены профсоюза и доступные в мессенджерах — по районам и мессенджерам."""
    settings = app.settings
    try:
        stats = asyncio.run(_stats(settings.database.url, settings.channels(), LEVELS[level]))
    except SchemaError as exc:
        fail(str(exc), 2)
    if as_json:
        print_json(stats)
    else:
        render_stats(stats, level)
