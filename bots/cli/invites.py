"""`rupor invites`: invite links and QR codes per primary organisation and messenger."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bots.cli.context import AppContext, pass_app
from bots.invites import INDEX_CSV, INDEX_HTML, InviteError, build_invites, write_invites


@click.command("invites")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("invites"), show_default=True,
              help="Directory for the QR codes (<code>-<channel>.png) and index.csv/html.")
@click.option("--org", "org", metavar="PATH_OR_CODE", default=None,
              help="Only the primary organisations in this organisation's subtree.")
@pass_app
def invites(app: AppContext, out: Path, org: str | None) -> None:
    """Print each primary organisation's invite link per configured channel and write
    a QR code per organisation and channel."""
    settings = app.settings
    if not settings.channels():
        click.echo(f"rupor: {app.config_path}: no channel is configured", err=True)
        sys.exit(2)
    try:
        made = asyncio.run(build_invites(settings, org))
    except InviteError as exc:
        click.echo(f"rupor: {exc}", err=True)
        sys.exit(2)
    write_invites(made, out)
    current = None
    for invite in made:
        if invite.org.code != current:
            current = invite.org.code
            click.echo(f"{invite.org.path}  [{invite.org.code}]")
        click.echo(f"  {invite.channel:<9} {invite.link}")
    click.echo(f"{len(made)} QR codes and {INDEX_CSV}, {INDEX_HTML} in {out}")
