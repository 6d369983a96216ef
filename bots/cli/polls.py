"""`rupor poll create | list | results | close`: the young teachers' council polls on the
command line (core.polls does the work; the chat's /poll will call the same functions)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.cli.context import AppContext, pass_app
from bots.console import fail, number, print_json, show, table
from bots.poll_view import results_data, results_view, write_poll_chart
from core.audience.segments import SegmentError
from core.config import Settings
from core.polls.closing import close_poll
from core.polls.create import create_poll, preview
from core.polls.results import poll_results
from core.polls.spec import DEFAULT_AUDIENCE, NewPoll, PollError
from scheduler.when import Now, Once, WhenError, describe, parse_when


async def _engine(settings: Settings) -> AsyncEngine:
    from core.storage.engine import create_engine
    from core.storage.schema import ensure_schema

    engine = create_engine(settings.database.url)
    await ensure_schema(engine, settings.database.url)
    return engine


def _moment(settings: Settings, phrase: str, what: str) -> datetime:
    """A single moment from a phrase ("до пятницы 18:00", ISO 8601), in UTC; exit 2 if not."""
    tz, now = ZoneInfo(settings.scheduler.timezone), datetime.now(UTC)
    try:
        when = parse_when(phrase, now=now, tz=tz)
    except WhenError as error:
        fail(f"{what}: {error}", 2)
    if not isinstance(when, Once):
        fail(f"{what}: нужен один момент времени, например «до пятницы 18:00»", 2)
    return when.at.astimezone(UTC)


@click.group()
def poll() -> None:
    """Опросы совета молодых педагогов: создать, список, итоги, завершить."""


@poll.command("create")
@click.option("--question", required=True, help="Вопрос (до 300 знаков).")
@click.option("--option", "options", multiple=True, required=True,
              help="Вариант ответа (от 2 до 10, каждый до 100 знаков); повторите опцию.")
@click.option("--multiple", is_flag=True, help="Можно выбрать несколько вариантов.")
@click.option("--anonymous", is_flag=True, help="Анонимный: в итогах нет имён.")
@click.option("--to", "segment", default=DEFAULT_AUDIENCE, show_default=True,
              help="Кому: all или org:ПУТЬ role:РОЛЬ tag:МЕТКА channel:МЕССЕНДЖЕР.")
@click.option("--until", "until", required=True, metavar="КОГДА",
              help="Срок: «до пятницы 18:00», «25 декабря в 12:00» или ISO 8601.")
@click.option("--remind", metavar="КОГДА", help="Напомнить не проголосовавшим в это время.")
@click.option("--now", "now_flag", is_flag=True, help="Отправить сейчас (так и по умолчанию).")
@click.option("--at", "at", metavar="КОГДА", help="Отправить позже: «завтра в 10:00».")
@click.option("--announce-members", is_flag=True,
              help="Сообщить итоги участникам, когда опрос закроется.")
@pass_app
def create(app: AppContext, question: str, options: tuple[str, ...], multiple: bool,
           anonymous: bool, segment: str, until: str, remind: str | None, now_flag: bool,
           at: str | None, announce_members: bool) -> None:
    """Создать опрос и показать, скольким он уйдёт, когда уйдёт и когда закроется."""
    settings = app.settings
    if now_flag and at:
        fail("укажите что-то одно: --now или --at", 2)
    new = NewPoll(
        question, options, _moment(settings, until, "--until"), multiple=multiple,
        anonymous=anonymous, audience=segment,
        remind_at=_moment(settings, remind, "--remind") if remind else None,
        start_at=_moment(settings, at, "--at") if at else None,
        announce_members=announce_members,
    )
    try:
        asyncio.run(_create(app, new))
    except (PollError, SegmentError) as exc:
        fail(str(exc), 2)


async def _create(app: AppContext, new: NewPoll) -> None:
    from bots.registry import capabilities

    channels = list(capabilities(app.settings))
    if not channels:
        fail(f"{app.config_path}: не настроен ни один мессенджер ([telegram], [vk] или [viber])",
             2)
    engine = await _engine(app.settings)
    try:
        count = await preview(engine, new.audience, channels)
        created = await create_poll(engine, new, channels, datetime.now(UTC))
    finally:
        await engine.dispose()
    tz = ZoneInfo(app.settings.scheduler.timezone)
    rows = [[name, number(count.reachable.get(name, 0))] for name in channels]
    rows.append(["без мессенджера", number(count.unreachable)])
    show(f"Опрос №{created.poll_id} создан: «{new.question.strip()}», "
         f"{number(count.members)} чел.", table(None, ("Мессенджер", "Получат"), rows))
    goes = describe(Once(new.start_at.astimezone(tz)) if new.start_at else Now(), tz=tz,
                    now=datetime.now(UTC))
    closes = describe(Once(new.closes_at.astimezone(tz)), tz=tz, now=datetime.now(UTC))
    show(f"Отправка: {goes}. Закроется: {closes}."
         + (" Напоминание: " + describe(Once(new.remind_at.astimezone(tz)), tz=tz,
                                         now=datetime.now(UTC)) + "." if new.remind_at else ""))
    show("Отправит и закроет запущенный `rupor run`. Итоги: rupor poll results "
         f"{created.poll_id}")


_VOTERS = (
    "SELECT p.id, (SELECT COUNT(*) FROM votes v WHERE v.poll_id = p.id) + "
    "(SELECT COUNT(*) FROM poll_voters w WHERE w.poll_id = p.id) + "
    "(SELECT COALESCE(SUM(t.count), 0) FROM poll_tallies t WHERE t.poll_id = p.id "
    "AND t.option = -1) FROM polls p"
)


@poll.command("list")
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Все опросы: вопрос, срок, открыт или завершён, сколько проголосовало."""
    rows = asyncio.run(_list(app.settings))
    if as_json:
        print_json(rows)
    elif not rows:
        show("Опросов пока нет. Создать: rupor poll create --question «…» --option … "
             "--option … --until «до пятницы 18:00»")
    else:
        show(table(None, ("Вопрос", "№", "Срок", "Статус", "Голосов"), [
            [r["question"], str(r["id"]), r["closes_local"],
             "завершён" if r["closed_at"] else "открыт", number(r["voters"])] for r in rows]))


async def _list(settings: Settings) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from core.storage.poll_tables import Poll

    tz = ZoneInfo(settings.scheduler.timezone)
    engine = await _engine(settings)
    try:
        async with engine.connect() as conn:
            voters = {int(r[0]): int(r[1]) for r in (await conn.execute(text(_VOTERS))).all()}
            polls = (await conn.execute(select(Poll).order_by(Poll.id))).all()
    finally:
        await engine.dispose()
    return [{
        "id": p.id, "question": p.question, "anonymous": p.anonymous,
        "closes_at": p.closes_at.isoformat() if p.closes_at else None,
        "closes_local": p.closes_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
        if p.closes_at else "—",
        "closed_at": p.closed_at.isoformat() if p.closed_at else None,
        "voters": voters.get(p.id, 0)} for p in polls]


@poll.command("results")
@click.argument("poll_id", type=int)
@click.option("--png", "png", type=click.Path(dir_okay=False, path_type=Path),
              help="Сохранить диаграмму итогов в PNG.")
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def results(app: AppContext, poll_id: int, png: Path | None, as_json: bool) -> None:
    """Итоги опроса: по вариантам, по районам и явка (проголосовали из получивших)."""
    found = asyncio.run(_results(app.settings, poll_id))
    if png is not None:
        write_poll_chart(found, png)
    if as_json:
        print_json(results_data(found))
        return
    show(results_view(found, ZoneInfo(app.settings.scheduler.timezone)))
    if png is not None:
        show(f"Диаграмма: {png}")


async def _results(settings: Settings, poll_id: int) -> Any:
    engine = await _engine(settings)
    try:
        return await poll_results(engine, poll_id)
    except PollError as exc:
        fail(str(exc))
    finally:
        await engine.dispose()


@poll.command("close")
@click.argument("poll_id", type=int)
@pass_app
def close(app: AppContext, poll_id: int) -> None:
    """Завершить опрос сейчас, не дожидаясь срока (итоги — rupor poll results ID)."""
    asyncio.run(_close(app.settings, poll_id))
    show(f"Опрос №{poll_id} завершён. Итоги: rupor poll results {poll_id}")


async def _close(settings: Settings, poll_id: int) -> None:
    engine = await _engine(settings)
    try:
        await close_poll(engine, poll_id, "cli", datetime.now(UTC))
    except PollError as exc:
        fail(str(exc))
    finally:
        await engine.dispose()
