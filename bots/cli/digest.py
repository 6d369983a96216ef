"""`rupor digest build --month 2026-11 [--out FILE]`: the Informational Digest of a month
as a PDF, the same the bot compiles on the 1st (bots.digest)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bots.cli.context import AppContext, pass_app
from bots.console import fail, show
from bots.digest.build import Built, build_digest, default_name
from core.config import Settings
from core.digest.month import Month, MonthError


@click.group()
def digest() -> None:
    """Информационный сборник: отчёты аппарата, рассылки и опросы месяца в одном PDF."""


@digest.command("build")
@click.option("--month", "month_text", default=None, metavar="ГГГГ-ММ",
              help="Месяц, например 2026-11 (по умолчанию — прошлый).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Куда записать PDF (по умолчанию информационный-сборник-ГГГГ-ММ.pdf).")
@pass_app
def build(app: AppContext, month_text: str | None, out: Path | None) -> None:
    """Собрать сборник за месяц и показать, что в него вошло."""
    settings = app.settings
    try:
        month = (Month.parse(month_text) if month_text else
                 Month.of(datetime.now(ZoneInfo(settings.scheduler.timezone))).previous())
    except MonthError as error:
        fail(str(error), 2)
    built = asyncio.run(_build(settings, month, out or Path(default_name(month))))
    show(_summary(built))


async def _build(settings: Settings, month: Month, out: Path) -> Built:
    from core.storage.engine import create_engine
    from core.storage.schema import ensure_schema

    engine = create_engine(settings.database.url)
    try:
        await ensure_schema(engine, settings.database.url)
        return await build_digest(engine, month, out, settings.scheduler.timezone,
                                  datetime.now(UTC))
    finally:
        await engine.dispose()


def _summary(built: Built) -> str:
    counts, words = built.counts, built.content.month.words
    head = f"Информационный сборник за {words}: {built.path}"
    if built.content.empty:
        return f"{head}\nЗа {words} нет ни отчётов, ни рассылок, ни опросов — сборник пустой."
    return (f"{head}\nОтчётов: {counts['reports']} (сотрудников: {counts['authors']}), "
            f"рассылок: {counts['campaigns']}, опросов: {counts['polls']}.")
