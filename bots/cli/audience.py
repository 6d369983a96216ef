"""`rupor audience import FILE` and `rupor audience stats`.

Both create the schema when the database is new (a fresh install just works) but never
migrate an existing database behind the operator's back: an older schema asks for
`rupor db upgrade`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from bots.cli.context import AppContext, pass_app
from core.audience.importing.job import ImportFileError, ImportReport, import_members
from core.audience.stats import AudienceStats, StatsRow, audience_stats
from core.storage.engine import create_engine, session_factory
from core.storage.schema import SchemaError, ensure_schema

LEVELS = {"region": 1, "district": 2, "organisation": 3}


@click.group()
def audience() -> None:
    """Members, organisations and their messenger contacts."""


async def _import(
    url: str, file: Path, batch_size: int, create_orgs: bool = False
) -> ImportReport:
    engine = create_engine(url)
    try:
        await ensure_schema(engine, url)
        return await import_members(
            session_factory(engine), file, batch_size=batch_size, create_orgs=create_orgs
        )
    finally:
        await engine.dispose()


def _print_report(report: ImportReport) -> None:
    click.echo(
        f"read {report.rows_read} rows ({report.source}): {report.rows_imported} imported, "
        f"{len(report.rejected)} rejected"
    )
    click.echo(
        f"people: {report.people_created} created, {report.people_updated} updated, "
        f"{report.people_unchanged} unchanged; contacts: {report.contacts_created} created, "
        f"{report.contacts_linked} linked; organisations: {report.organizations_created} created"
    )
    for rejected in report.rejected:
        click.echo(str(rejected))


@audience.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--batch-size", default=1000, show_default=True, type=click.IntRange(1, 20_000),
    help="Rows per transaction.",
)
@click.option("--create-orgs", is_flag=True, help="Создать регионы и районы, которых нет.")
@pass_app
def import_command(app: AppContext, file: Path, batch_size: int, create_orgs: bool = False) -> None:
    """Import members from a CSV (UTF-8 or cp1251; comma or semicolon) or XLSX FILE.

    Columns: full_name, org_path, roles, telegram_id, vk_id, viber_id, member_id, tags.
    Importing the same people again changes nothing. Exit status: 0 every row imported,
    1 some rows rejected (each is listed with its line), 2 the file cannot be used.
    """
    url = app.settings.database.url
    try:
        report = asyncio.run(_import(url, file, batch_size, create_orgs=create_orgs))
    except ImportFileError as exc:
        click.echo(f"rupor: {file}: {exc}", err=True)
        sys.exit(2)
    except SchemaError as exc:
        click.echo(f"rupor: {exc}", err=True)
        sys.exit(2)
    _print_report(report)
    sys.exit(0 if report.complete else 1)


def _cells(row: StatsRow, channels: Sequence[str]) -> list[str]:
    return [
        row.label, str(row.members), *(str(row.reachable[c]) for c in channels),
        str(row.unreachable),
    ]


def render_stats(stats: AudienceStats, level: str = "district") -> str:
    """An aligned text table: one row per group, a rule, then the total."""
    header = [level, "members", *stats.channels, "unreachable"]
    body = [_cells(row, stats.channels) for row in stats.rows]
    total = _cells(stats.total, stats.channels)
    widths = [max(len(line[i]) for line in [header, *body, total]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *map(line, body), rule, line(total)])


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
    help="Group members by this level of the union tree.",
)
@pass_app
def stats_command(app: AppContext, level: str) -> None:
    """Members and the people reachable (active contact) per district and channel.

    Columns: every configured channel and every channel that has contacts; "unreachable"
    counts members with an active contact on none of them.
    """
    settings = app.settings
    try:
        stats = asyncio.run(_stats(settings.database.url, settings.channels(), LEVELS[level]))
    except SchemaError as exc:
        click.echo(f"rupor: {exc}", err=True)
        sys.exit(2)
    click.echo(render_stats(stats, level))
