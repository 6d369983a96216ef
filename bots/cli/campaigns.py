"""`rupor post` and `rupor campaigns list | report | cancel`."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bots.cli.context import AppContext, pass_app
from bots.report_view import render_report, write_chart
from core.audience.segments import SegmentError, count_segment, parse_segment, resolve_segment
from core.campaigns.content import ContentError
from core.campaigns.store import NewCampaign, cancel_campaign, create_campaign
from core.reach.report import reach_report
from core.sending.runs import materialise, start_run
from core.storage.engine import create_engine
from core.storage.models import Campaign, CampaignRun, Delivery


def _fail(message: str, status: int = 1) -> None:
    click.echo(f"rupor: {message}", err=True)
    sys.exit(status)


def _buttons(values: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], ...]:
    rows = []
    for value in values:
        text, sep, url = value.partition("|")
        if not sep:
            _fail(f"--button {value!r}: write it as 'Text|https://link'", 2)
        rows.append(((text.strip(), url.strip()),))
    return tuple(rows)


async def _engine(app: AppContext) -> AsyncEngine:
    from core.storage.schema import ensure_schema

    url = app.settings.database.url
    engine = create_engine(url)
    await ensure_schema(engine, url)
    return engine


@click.command()
@click.option(
    "--text", "text_", default="", help="Message text: **bold**, __italic__, [link](https://…)."
)
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A leaflet: PDF, JPEG or PNG.",
)
@click.option(
    "--to",
    "segment",
    default="all",
    show_default=True,
    help="SEGMENT: all, or org:PATH role:NAME tag:NAME channel:NAME.",
)
@click.option("--now", is_flag=True, help="Start sending now (`rupor run` sends it).")
@click.option("--title", default="", help="A title for lists and reports.")
@click.option("--button", "buttons", multiple=True, metavar="'TEXT|URL'", help="A link button.")
@click.option(
    "--routing",
    type=click.Choice(["all", "failover"]),
    default="all",
    show_default=True,
    help="all: every active messenger; failover: one per person, next on failure.",
)
@pass_app
def post(
    app: AppContext,
    text_: str,
    file_: Path | None,
    segment: str,
    now: bool,
    title: str,
    buttons: tuple[str, ...],
    routing: str,
) -> None:
    """Create a campaign (with --now also its run and deliveries) and print its audience."""
    if not now:
        _fail("give --now (scheduling with --at/--cron comes with the scheduler)", 2)
    new = NewCampaign(
        text=text_,
        audience=segment,
        title=title,
        media_path=file_,
        buttons=_buttons(buttons),
        routing=routing,
    )
    try:
        asyncio.run(_post(app, new))
    except (ContentError, SegmentError) as exc:
        _fail(str(exc), 2)


async def _post(app: AppContext, new: NewCampaign) -> None:
    from bots.registry import capabilities

    caps = capabilities(app.settings)
    if not caps:
        _fail(f"{app.config_path}: no channel is configured ([telegram], [vk] or [viber])", 2)
    engine = await _engine(app)
    try:
        async with AsyncSession(engine) as session:
            resolved = await resolve_segment(session, parse_segment(new.audience))
            count = await count_segment(session, resolved, list(caps))
        campaign_id = await create_campaign(engine, new, caps)
        run = await start_run(engine, campaign_id, datetime.now(UTC), list(caps))
        await materialise(engine, run.run_id)
    finally:
        await engine.dispose()
    click.echo(f"campaign {campaign_id} created, run {run.run_id}: {count.members} members")
    for name in caps:
        click.echo(f"  {name:<10} {count.reachable.get(name, 0):>8} reachable")
    click.echo(f"  {'unreachable':<10} {count.unreachable:>8}")
    click.echo("`rupor run` sends it.")


@click.group()
def campaigns() -> None:
    """Campaigns: list, reach report, cancel."""


@campaigns.command("list")
@pass_app
def list_(app: AppContext) -> None:
    """Every campaign with its status and reach so far."""
    asyncio.run(_list(app))


async def _list(app: AppContext) -> None:
    engine = await _engine(app)
    try:
        async with AsyncSession(engine) as session:
            rows = (
                await session.execute(
                    select(
                        Campaign.id,
                        Campaign.created_at,
                        Campaign.status,
                        Campaign.title,
                        func.count(func.distinct(CampaignRun.id)),
                    )
                    .outerjoin(CampaignRun, CampaignRun.campaign_id == Campaign.id)
                    .group_by(Campaign.id)
                    .order_by(Campaign.id)
                )
            ).all()
            sent = dict(
                (
                    await session.execute(
                        select(
                            CampaignRun.campaign_id, func.count(func.distinct(Delivery.person_id))
                        )
                        .join(Delivery, Delivery.run_id == CampaignRun.id)
                        .where(Delivery.status.in_(("sent", "delivered", "read")))
                        .group_by(CampaignRun.campaign_id)
                    )
                )
                .tuples()
                .all()
            )
    finally:
        await engine.dispose()
    if not rows:
        click.echo("no campaigns yet: `rupor post --text … --to all --now`")
        return
    click.echo(
        f"{'id':>4}  {'created (UTC)':<16}  {'status':<10}  {'runs':>4}  {'reached':>8}  title"
    )
    for cid, created, status, title, nruns in rows:
        click.echo(
            f"{cid:>4}  {created:%Y-%m-%d %H:%M}  {status:<10}  {nruns:>4}  "
            f"{sent.get(cid, 0):>8}  {title}"
        )


@campaigns.command("report")
@click.argument("campaign_id", type=int)
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a chart of reach per district.",
)
@click.option("--districts-only", is_flag=True, help="Leave out the primary organisations.")
@pass_app
def report(app: AppContext, campaign_id: int, png: Path | None, districts_only: bool) -> None:
    """Reach of the campaign's latest run per channel, district and organisation."""
    asyncio.run(_report(app, campaign_id, png, districts_only))


async def _report(
    app: AppContext, campaign_id: int, png: Path | None, districts_only: bool
) -> None:
    engine = await _engine(app)
    try:
        found = await reach_report(engine, campaign_id)
    finally:
        await engine.dispose()
    if found is None:
        _fail(f"campaign {campaign_id} has no run yet", 1)
        return
    click.echo(render_report(found, schools=not districts_only))
    if png is not None:
        click.echo(f"chart: {write_chart(found, png)}")


@campaigns.command("cancel")
@click.argument("campaign_id", type=int)
@pass_app
def cancel(app: AppContext, campaign_id: int) -> None:
    """Stop a campaign: what is not sent yet is not sent."""

    async def _cancel() -> int:
        engine = await _engine(app)
        try:
            return await cancel_campaign(engine, campaign_id, "cli")
        finally:
            await engine.dispose()

    try:
        skipped = asyncio.run(_cancel())
    except ContentError as exc:
        _fail(str(exc), 1)
    click.echo(f"campaign {campaign_id} cancelled; {skipped} deliveries will not be sent")
