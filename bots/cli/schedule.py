"""Schedules on the command line: `post --at WHEN | --cron EXPR` read through
`scheduler.when`, the schedule and next run of `campaigns list` in the configured time zone,
and `campaigns pause | resume ID`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.cli.context import AppContext, pass_app
from bots.console import fail, number, show, table
from core.campaigns.content import ContentError
from core.campaigns.schedule import Rules, in_quiet_hours, rules_for, start_at
from core.campaigns.scheduled import (
    ScheduledCampaign,
    pause_campaign,
    resume_campaign,
    scheduled_campaigns,
)
from core.config import Settings
from scheduler.recurrence import cron_words, crontab
from scheduler.service import settings_rules
from scheduler.slots import due_and_next
from scheduler.when import Now, Once, Recurring, When, WhenError, describe, parse_when
from scheduler.words import clock_text, date_text

CAMPAIGN_STATUSES = ("draft", "scheduled", "running", "paused", "done", "cancelled")


def rules_of(settings: Settings) -> Rules:
    return settings_rules(settings.scheduler)


def when_of(settings: Settings, now_flag: bool, at: str | None, cron: str | None) -> When:
    """The one of --now, --at, --cron given, as scheduler.when reads it (exit 2 otherwise)."""
    if sum((now_flag, at is not None, cron is not None)) != 1:
        fail("укажите, когда отправить — что-то одно: --now, --at «завтра в 10:00» или "
             "--cron «0 10 1 * *»", 2)
    tz, now = ZoneInfo(settings.scheduler.timezone), datetime.now(UTC)
    try:
        if at is not None:
            return parse_when(at, now=now, tz=tz)
        if cron is not None:
            expression = crontab(cron)
            if expression is None:
                raise WhenError(f"--cron «{cron}»: нужно 5 полей — минуты, часы, число, "
                                "месяц, день недели. Например: «0 10 1 * *»")
            return parse_when(expression, now=now, tz=tz)
    except WhenError as error:
        fail(str(error), 2)
    return Now()


@dataclass(frozen=True)
class Timing:
    run_at: datetime | None = None
    cron: str | None = None


def timing(when: When) -> Timing:
    if isinstance(when, Once):
        return Timing(run_at=when.at.astimezone(UTC))
    if isinstance(when, Recurring):
        return Timing(cron=when.cron)
    return Timing()


def quiet_note(settings: Settings, when: When) -> str:
    """A line for a time in quiet hours: when it really goes out, or that "now" ignores them."""
    rules, now = rules_of(settings), datetime.now(UTC)
    if isinstance(when, Now):
        ends = in_quiet_hours(now, rules)
        if ends is None:
            return ""
        day = "завтра" if ends.date() > now.astimezone(rules.tz).date() else "сегодня"
        return (f"Сейчас тихие часы ({_quiet(rules)}): рассылка уйдёт сразу, как вы просили. "
                f"Отложить до утра: --at «{day} в {clock_text(ends)}».")
    first = when.at if isinstance(when, Once) else when.first
    starts = start_at(first.astimezone(UTC), rules)
    if starts == first:
        return ""
    local, today = starts.astimezone(rules.tz), now.astimezone(rules.tz).date()
    return (f"Это время попадает в тихие часы ({_quiet(rules)}): рассылка начнётся "
            f"{date_text(local.date(), today)} в {clock_text(local)}.")


def _quiet(rules: Rules) -> str:
    return rules.quiet.text() if rules.quiet else ""


def when_said(settings: Settings, when: When) -> str:
    return describe(when, tz=ZoneInfo(settings.scheduler.timezone), now=datetime.now(UTC))


# --- campaigns list ---------------------------------------------------------------------------

def schedule_words(run_at: datetime | None, cron: str | None, tz: ZoneInfo) -> str:
    """"разово 10 декабря в 10:00", "каждый месяц 1-го числа в 10:00" or the cron itself."""
    if cron is not None:
        words = cron_words(cron)
        return words[0] if words else f"cron «{cron}»"
    if run_at is not None:
        local = run_at.astimezone(tz)
        today = datetime.now(UTC).astimezone(tz).date()
        return f"разово {date_text(local.date(), today)} в {clock_text(local)}"
    return "сразу"


def next_run(campaign: ScheduledCampaign, defaults: Rules, now: datetime) -> str:
    """When its next run starts, in its own time zone; "" when none is coming."""
    if campaign.status == "paused":
        return "на паузе"
    if campaign.status not in ("scheduled", "running"):
        return ""
    rules = rules_for(campaign.timezone, campaign.quiet_hours, campaign.lateness_limit_s,
                      defaults)
    due, upcoming = due_and_next(campaign, rules.tz.key, now)
    if due is not None:
        return "пора: запустит rupor run"
    if upcoming is None:
        return ""
    return f"{start_at(upcoming, rules).astimezone(rules.tz):%d.%m.%Y %H:%M}"


def schedule_table(rows: list[dict[str, Any]], settings: Settings) -> Any:
    zone = settings.scheduler.timezone
    return table(f"По расписанию (время {zone})", ("Расписание", "№", "Следующий запуск"),
                 [[r["schedule"], str(r["id"]), r["next_run"] or "—"] for r in rows])


# --- pause and resume -------------------------------------------------------------------------

async def _change(app: AppContext, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    from core.storage.engine import create_engine
    from core.storage.schema import ensure_schema

    url = app.settings.database.url
    engine = create_engine(url)
    await ensure_schema(engine, url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


@click.command()
@click.argument("campaign_id", type=int)
@pass_app
def pause(app: AppContext, campaign_id: int) -> None:
    """Поставить рассылку на паузу: неотправленное ждёт, новые запуски не начинаются."""
    try:
        held = asyncio.run(_change(app, lambda e: pause_campaign(e, campaign_id, "cli")))
    except ContentError as exc:
        fail(str(exc), 1)
    show(f"Рассылка №{campaign_id} на паузе; ждут отправки: {number(held)}. "
         f"Продолжить: rupor campaigns resume {campaign_id}")


@click.command()
@click.argument("campaign_id", type=int)
@pass_app
def resume(app: AppContext, campaign_id: int) -> None:
    """Снять рассылку с паузы: неотправленное уйдёт, расписание снова действует."""
    try:
        released = asyncio.run(_change(app, lambda e: resume_campaign(e, campaign_id, "cli")))
    except ContentError as exc:
        fail(str(exc), 1)
    show(f"Рассылка №{campaign_id} продолжена; снова в очереди: {number(released)}.")


async def scheduled_rows(engine: AsyncEngine, settings: Settings) -> dict[int, dict[str, str]]:
    """Schedule words and next run of every campaign that has a schedule, by id."""
    defaults, now = rules_of(settings), datetime.now(UTC)
    found = await scheduled_campaigns(engine, statuses=tuple(CAMPAIGN_STATUSES))
    return {c.id: {"schedule": schedule_words(c.run_at, c.cron,
                                              ZoneInfo(c.timezone or defaults.tz.key)),
                   "next_run": next_run(c, defaults, now)} for c in found}
