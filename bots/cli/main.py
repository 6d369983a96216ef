"""The `rupor` command: the root group and its small commands (db, run, demo, sandbox); the
command groups live in their own modules beside this one."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bots.cli import admins as cli_admins
from bots.cli import audience as cli_audience
from bots.cli import backup as cli_backup
from bots.cli import campaigns as cli_campaigns
from bots.cli import digest as cli_digest
from bots.cli import invites as cli_invites
from bots.cli import people as cli_people
from bots.cli import polls as cli_polls
from bots.cli.context import AppContext, pass_app
from bots.console import fail, show
from bots.run_view import SendingProgress, runs_touched, summary_notes, summary_table
from core.config import Settings
from sandbox.cli import sandbox_command

if TYPE_CHECKING:
    from bots.suite import Suite


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config_path", metavar="FILE", default=None,
    help="Файл настроек (по умолчанию ./config.toml или $RUPOR_CONFIG).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Рупор: один список членов профсоюза и одна очередь рассылок для Telegram, VK и Viber."""
    ctx.obj = AppContext(config_path)


@cli.group()
def db() -> None:
    """Схема базы данных."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Создать схему или обновить её до последней версии (alembic upgrade head)."""
    from core.storage.schema import upgrade

    upgrade(app.settings.database.url)
    click.echo(f"База данных в актуальном состоянии: {app.settings.database.url}")


@cli.command("run")
@click.option("--until-idle", is_flag=True,
              help="Выйти с кодом 0, когда отправлять больше нечего (для скриптов и cron).")
@pass_app
def run(app: AppContext, until_idle: bool) -> None:
    """Всё вместе: боты, вебхуки или опрос, отправка рассылок; Ctrl-C — остановить."""
    from bots.suite import run_forever

    settings = app.settings
    if not settings.channels():
        fail(f"{app.config_path}: не настроен ни один мессенджер ([telegram], [vk] или "
             "[viber])", 2)
    if not until_idle:
        sys.exit(run_forever(settings))
    totals = asyncio.run(_waiting_per_channel(settings))
    progress = SendingProgress(totals)
    started = time.monotonic()

    async def summarise(suite: Suite) -> None:
        progress.stop()
        await _summary(settings, suite, time.monotonic() - started)

    sys.exit(run_forever(settings, until_idle=True, on_progress=progress, after=summarise))


async def _waiting_per_channel(settings: Settings) -> dict[str, tuple[int, int]]:
    """Per configured channel, (finished, in all) of the runs now sending: the bars' start."""
    from core.reach.ledger import sending_per_channel
    from core.storage.engine import create_engine
    from core.storage.schema import ensure_schema

    engine = create_engine(settings.database.url)
    try:
        await ensure_schema(engine, settings.database.url)
        queue = await sending_per_channel(engine)
    finally:
        await engine.dispose()
    return {name: queue.get(name, (0, 0)) for name in settings.channels()}


async def _summary(settings: Settings, suite: Suite, elapsed_s: float) -> None:
    from core.reach.ledger import statuses_per_channel
    from core.storage.engine import create_engine

    engine = create_engine(settings.database.url, readonly=True)
    try:
        per_channel = await statuses_per_channel(engine, runs_touched(suite))
    finally:
        await engine.dispose()
    down = {name: status.reason for name, status in suite.status().items()
            if name in suite.down_channels()}
    for name, reason in down.items():
        show(f"{name}: не запущен ({reason or 'причина в журнале'}) — его доставки ждут и "
             "уйдут при следующем запуске.")
    if not per_channel:
        show("Отправлять было нечего.")
        return
    caps = {name: channel.capabilities for name, channel in suite.channels.items()}
    show(summary_table(per_channel, caps, elapsed_s), summary_notes(per_channel, caps))


@cli.command("demo")
@click.option("--dir", "base", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Где создать папку демонстрации (по умолчанию — в текущей).")
def demo(base: Path | None) -> None:
    """Листовка учебному союзу из ~3000 человек от начала до конца; без токенов."""
    from bots.demo import main as demo_main

    sys.exit(demo_main(base))


cli.add_command(cli_audience.audience)
cli.add_command(cli_campaigns.post)
cli.add_command(cli_campaigns.campaigns)
cli.add_command(cli_invites.invites)
cli.add_command(cli_admins.admins)
cli.add_command(cli_admins.audit)
cli.add_command(cli_polls.poll)
cli.add_command(cli_digest.digest)
cli.add_command(cli_people.people)
cli.add_command(sandbox_command)
cli.add_command(cli_backup.backup)


def main() -> None:
    """The `rupor` entry point."""
    cli()


if __name__ == "__main__":
    main()
