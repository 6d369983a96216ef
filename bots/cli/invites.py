"""`rupor invites`: invite links and QR codes per primary organisation and messenger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bots.cli.context import AppContext, pass_app
from bots.console import fail
from bots.invites import INDEX_CSV, INDEX_HTML, InviteError, build_invites, write_invites


@click.command("invites")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("invites"), show_default=True,
              help="Папка для QR-кодов (<код>-<мессенджер>.png) и index.csv/html.")
@click.option("--org", "org", metavar="ПУТЬ_ИЛИ_КОД", default=None,
              help="Только первичные организации внутри этой организации.")
@pass_app
def invites(app: AppContext, out: Path, org: str | None) -> None:
    """Ссылки-приглашения каждой первичной организации в каждый настроенный мессенджер и
    QR-код для каждой: участник, пришедший по ссылке, сразу попадает в свою школу."""
    settings = app.settings
    if not settings.channels():
        fail(f"{app.config_path}: не настроен ни один мессенджер", 2)
    try:
        made = asyncio.run(build_invites(settings, org))
    except InviteError as exc:
        fail(str(exc), 2)
    write_invites(made, out)
    current = None
    for invite in made:
        if invite.org.code != current:
            current = invite.org.code
            click.echo(f"{invite.org.path}  [{invite.org.code}]")
        click.echo(f"  {invite.channel:<9} {invite.link}")
    click.echo(f"QR-кодов: {len(made)}; список — {INDEX_CSV} и {INDEX_HTML} в папке {out}")
