"""`rupor post` and `rupor campaigns list | report | cancel | pause | resume`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bots.cli import schedule
from bots.cli.context import AppContext, pass_app
from bots.console import fail, number, print_json, show, table
from bots.report_view import report_data, report_view, write_chart
from core.audience.segments import SegmentError, count_segment, parse_segment, resolve_segment
from core.campaigns.content import ContentError
from core.campaigns.store import NewCampaign, cancel_campaign, create_campaign
from core.config import Settings
from core.reach.report import ReachReport, reach_report
from core.sending.runs import materialise, start_run
from core.storage.engine import create_engine
from core.storage.models import Campaign, CampaignRun, Delivery
from scheduler.when import When

CAMPAIGN_STATUS = {
    "draft": "черновик",
    "scheduled": "запланирована",
    "running": "идёт",
    "paused": "на паузе",
    "done": "завершена",
    "cancelled": "отменена",
}


def _buttons(values: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], ...]:
    rows = []
    for value in values:
        text, sep, url = value.partition("|")
        if not sep:
            fail(f"--button {value!r}: пишите так: 'Текст|https://ссылка'", 2)
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
    "--text", "text_", default="",
    help="Текст: **жирный**, __курсив__, [ссылка](https://…).",
)
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Листовка: PDF, JPEG или PNG.",
)
@click.option(
    "--to",
    "segment",
    default="all",
    show_default=True,
    help="Кому: all (все) или org:ПУТЬ role:РОЛЬ tag:МЕТКА channel:МЕССЕНДЖЕР.",
)
@click.option("--now", is_flag=True, help="Отправить сейчас (отправляет `rupor run`).")
@click.option("--at", "at", metavar="КОГДА",
              help="Когда: «завтра в 10:00», «1 декабря в 9:00», «каждый месяц 1-го числа в "
                   "10:00» или 2025-12-10T10:00.")
@click.option("--cron", "cron", metavar="'М Ч ДЕНЬ МЕС ДН'",
              help="Повторять по расписанию cron, например '0 10 1 * *' (1-го в 10:00).")
@click.option("--title", default="", help="Название для списков и отчётов.")
@click.option("--button", "buttons", multiple=True, metavar="'ТЕКСТ|ССЫЛКА'",
              help="Кнопка-ссылка.")
@click.option(
    "--routing",
    type=click.Choice(["all", "failover"]),
    default="all",
    show_default=True,
    help="all: во все мессенджеры человека; failover: в один, при неудаче — в следующий.",
)
@pass_app
def post(
    app: AppContext,
    text_: str,
    file_: Path | None,
    segment: str,
    now: bool,
    at: str | None,
    cron: str | None,
    title: str,
    buttons: tuple[str, ...],
    routing: str,
) -> None:
    """Создать рассылку (с --now — сразу и список получателей; с --at или --cron — по
    расписанию) и показать, скольким она уйдёт."""
    when = schedule.when_of(app.settings, now, at, cron)
    timing = schedule.timing(when)
    new = NewCampaign(
        run_at=timing.run_at,
        cron=timing.cron,
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
        fail(str(exc), 2)
    _tell_when(app, when, scheduled=new.run_at is not None or new.cron is not None)


def _tell_when(app: AppContext, when: When, *, scheduled: bool) -> None:
    if scheduled:
        show(f"Когда: {schedule.when_said(app.settings, when)}. Отправит запущенный `rupor run`.")
    note = schedule.quiet_note(app.settings, when)
    if note:
        show(note)


async def _post(app: AppContext, new: NewCampaign) -> None:
    from bots.registry import capabilities

    caps = capabilities(app.settings)
    if not caps:
        fail(f"{app.config_path}: не настроен ни один мессенджер ([telegram], [vk] или [viber])",
             2)
    engine = await _engine(app)
    try:
        async with AsyncSession(engine) as session:
            resolved = await resolve_segment(session, parse_segment(new.audience))
            count = await count_segment(session, resolved, list(caps))
        campaign_id = await create_campaign(engine, new, caps)
        run_id = None
        if new.run_at is None and new.cron is None:
            run = await start_run(engine, campaign_id, datetime.now(UTC), list(caps))
            await materialise(engine, run.run_id)
            run_id = run.run_id
    finally:
        await engine.dispose()
    rows = [[name, number(count.reachable.get(name, 0))] for name in caps]
    rows.append(["без мессенджера", number(count.unreachable)])
    started = f", запуск №{run_id}" if run_id is not None else " по расписанию"
    show(f"Рассылка №{campaign_id} создана{started}: "
         f"{number(count.members)} чел.", table(None, ("Мессенджер", "Получат"), rows))
    if run_id is not None:
        show("Отправит `rupor run` (или уже запущенный `rupor run` — в течение секунды).")


@click.group()
def campaigns() -> None:
    """Рассылки: список, отчёт о доходимости, пауза, отмена."""


@campaigns.command("list")
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Все рассылки: статус, запуски, скольким дошло, расписание и следующий запуск."""
    rows = asyncio.run(_list(app))
    if as_json:
        print_json(rows)
    elif not rows:
        show("Рассылок пока нет. Создать: rupor post --text «…» --to all --now")
    else:
        show(table(None, ("Рассылка", "№", "Создана (UTC)", "Статус", "Запусков", "Дошло"), [
            [r["title"], str(r["id"]), r["created"], CAMPAIGN_STATUS.get(r["status"], r["status"]),
             str(r["runs"]), number(r["reached"])] for r in rows
        ]))
        timed = [r for r in rows if r["schedule"]]
        if timed:
            show(schedule.schedule_table(timed, app.settings))


async def _list(app: AppContext) -> list[dict[str, Any]]:
    engine = await _engine(app)
    try:
        async with AsyncSession(engine) as session:
            rows = (
                await session.execute(
                    select(Campaign.id, Campaign.created_at, Campaign.status, Campaign.title,
                           func.count(func.distinct(CampaignRun.id)))
                    .outerjoin(CampaignRun, CampaignRun.campaign_id == Campaign.id)
                    .group_by(Campaign.id)
                    .order_by(Campaign.id)
                )
            ).all()
            reached = dict(
                (
                    await session.execute(
                        select(CampaignRun.campaign_id,
                               func.count(func.distinct(Delivery.person_id)))
                        .join(Delivery, Delivery.run_id == CampaignRun.id)
                        .where(Delivery.status.in_(("sent", "delivered", "read")))
                        .group_by(CampaignRun.campaign_id)
                    )
                ).all()
            )
        timed = await schedule.scheduled_rows(engine, app.settings)
    finally:
        await engine.dispose()
    return [
        {"id": cid, "created": f"{created:%Y-%m-%d %H:%M}", "status": status, "title": title,
         "runs": runs, "reached": reached.get(cid, 0),
         **timed.get(cid, {"schedule": "", "next_run": ""})}
        for cid, created, status, title, runs in rows
    ]


@campaigns.command("report")
@click.argument("campaign_id", type=int)
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ещё и диаграмма доходимости по районам (PNG).",
)
@click.option("--districts-only", is_flag=True, help="Только районы, без организаций.")
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def report(
    app: AppContext, campaign_id: int, png: Path | None, districts_only: bool, as_json: bool
) -> None:
    """Доходимость последнего запуска рассылки: по мессенджерам, районам и организациям."""
    found = asyncio.run(_report(app, campaign_id))
    if as_json:
        print_json(report_data(found))
    else:
        show(report_view(found, schools=not districts_only,
                         read_receipts=reads_reported(app.settings)))
    if png is not None:
        click.echo(f"Диаграмма: {write_chart(found, png)}", err=as_json)


def reads_reported(settings: Settings) -> set[str]:
    """The configured channels whose platform tells a bot that a message was read."""
    from bots.registry import capabilities

    return {name for name, caps in capabilities(settings).items() if caps.read_receipts}


async def _report(app: AppContext, campaign_id: int) -> ReachReport:
    engine = await _engine(app)
    try:
        async with AsyncSession(engine) as session:
            exists = await session.get(Campaign, campaign_id)
        found = await reach_report(engine, campaign_id)
    finally:
        await engine.dispose()
    if exists is None:
        fail(f"рассылки №{campaign_id} нет; список рассылок: rupor campaigns list", 1)
    if found is None:
        fail(f"рассылка №{campaign_id} ещё не запускалась: отчёта пока нет", 1)
    return found


@campaigns.command("cancel")
@click.argument("campaign_id", type=int)
@pass_app
def cancel(app: AppContext, campaign_id: int) -> None:
    """Отменить рассылку: то, что ещё не отправлено, отправлено не будет."""

    async def _cancel() -> int:
        engine = await _engine(app)
        try:
            return await cancel_campaign(engine, campaign_id, "cli")
        finally:
            await engine.dispose()

    try:
        skipped = asyncio.run(_cancel())
    except ContentError as exc:
        fail(str(exc), 1)
    show(f"Рассылка №{campaign_id} отменена; не будут отправлены: {number(skipped)}.")


campaigns.add_command(schedule.pause)
campaigns.add_command(schedule.resume)
