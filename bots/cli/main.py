"""The `rupor` command: the root group and its small commands (db, run, demo, sandbox); the
command groups live in their own modules beside this one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bots.cli import audience as cli_audience
from bots.cli import campaigns as cli_campaigns
from bots.cli import invites as cli_invites
from bots.cli.context import AppContext, pass_app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config_path", metavar="FILE", default=None,
    help="Settings file (default ./config.toml, or $RUPOR_CONFIG).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Rupor: one audience and one message queue across Telegram, VK and Viber."""
    ctx.obj = AppContext(config_path)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: AppContext) -> None:
    """Create or upgrade the schema to the latest revision (alembic upgrade head)."""
    from core.storage.schema import upgrade

    upgrade(app.settings.database.url)
    click.echo(f"database is up to date: {app.settings.database.url}")


@cli.command("run")
@click.option("--until-idle", is_flag=True,
              help="Exit 0 once nothing is pending, claimed or waiting for a retry.")
@pass_app
def run(app: AppContext, until_idle: bool) -> None:
    """The whole suite: bots, webhooks or polling, senders; Ctrl-C stops it cleanly."""
    from bots.suite import run_forever

    settings = app.settings
    if not settings.channels():
        click.echo(f"rupor: {app.config_path}: no channel is configured "
                   "([telegram], [vk] or [viber])", err=True)
        sys.exit(2)
    sys.exit(run_forever(settings, until_idle=until_idle))


@cli.command("demo")
@click.option("--dir", "base", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to create the demo's own directory (default: the current one).")
def demo(base: Path | None) -> None:
    """A leaflet to a simulated union of ~3,000 members, end to end; no tokens needed."""
    from bots.demo import main as demo_main

    sys.exit(demo_main(base))


@cli.command("sandbox", context_settings={"ignore_unknown_options": True,
                                          "allow_extra_args": True, "help_option_names": []})
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """The three emulators and a simulated union until Ctrl-C (see `rupor sandbox --help`)."""
    from sandbox.runner import main as sandbox_main

    sys.exit(sandbox_main(list(ctx.args)))


cli.add_command(cli_audience.audience)
cli.add_command(cli_campaigns.post)
cli.add_command(cli_campaigns.campaigns)
cli.add_command(cli_invites.invites)


def main() -> None:
    """The `rupor` entry point."""
    cli()


if __name__ == "__main__":
    main()
