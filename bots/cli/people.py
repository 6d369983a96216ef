"""`rupor people find | export | erase`: a member's personal data on request (152-FZ) —
find their id, hand them everything stored about them as JSON, erase them (core.privacy)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.cli.context import AppContext, pass_app
from bots.console import fail, number, show, table
from core.access.audit import CLI_ACTOR
from core.privacy.erase import erase
from core.privacy.export import NoSuchPerson, export
from core.storage.engine import create_engine, writing
from core.storage.models import Contact, Organization, Person

CHANNELS = {"telegram": "Telegram", "vk": "VK", "viber": "Viber"}
STATUSES = {"pending": "без согласия", "unsubscribed": "отписан", "blocked": "заблокировал",
            "unreachable": "недоступен"}
FOUND_AT_MOST = 20
# What erase does to each table, as the confirmation lists it.
REMOVED = {"person_tags": "теги", "link_codes": "коды связки мессенджеров",
           "admin_grants": "роли в боте", "replies": "сообщения бота этому человеку",
           "inbound": "сообщения и нажатия кнопок от этого человека"}
ANONYMISED = {"deliveries": "доставки рассылок (для отчётов о доходимости)",
              "votes": "голоса в опросах (для итогов)", "poll_voters": "отметки «голосовал»"}


@click.group()
def people() -> None:
    """Персональные данные члена профсоюза: найти, выгрузить, удалить (152-ФЗ)."""


@people.command()
@click.argument("name")
@pass_app
def find(app: AppContext, /, name: str) -> None:
    """Найти человека по части ФИО: id, школа, мессенджеры."""
    rows = asyncio.run(_with_engine(app, lambda engine: _find(engine, name)))
    if not rows:
        fail(f"никого не нашлось по «{name}» — попробуйте фамилию целиком", 1)
    show(table(f"Найдено: {len(rows)}", ["ФИО", "id", "организация", "мессенджеры"], rows))


@people.command("export")
@click.argument("person_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Записать JSON в файл (UTF-8) вместо вывода на экран.")
@pass_app
def export_command(app: AppContext, /, person_id: int, out: Path | None) -> None:
    """Всё, что хранится о человеке, в JSON."""
    data = _exported(app, person_id)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    rows = sum(len(found) for found in data["tables"].values())
    click.echo(f"Записано в {out}: {number(rows)} записей из {len(data['tables'])} таблиц.")


@people.command("erase")
@click.argument("person_id", type=int)
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
@pass_app
def erase_command(app: AppContext, /, person_id: int, yes: bool) -> None:
    """Удалить персональные данные человека (по его просьбе); цифры отчётов сохранятся."""
    data = _exported(app, person_id)
    if data["person"]["erased_at"]:
        fail(f"данные человека {person_id} уже удалены ({data['person']['erased_at'][:10]})", 1)
    click.echo("\n".join(_plan(data)))
    if not yes and not click.confirm("Удалить безвозвратно?", default=False):
        fail("ничего не удалено", 1)
    counts = asyncio.run(_with_engine(app, lambda engine: _erase(engine, person_id)))
    changed = sum(counts.values())
    click.echo(f"Готово: данные человека {person_id} удалены, изменено записей: "
               f"{number(changed)}. Запись об удалении — в `rupor audit`.")
    click.echo("Уберите этого человека и из файла членов профсоюза: при следующей загрузке "
               "его строка создаст нового человека.")


def _plan(data: dict[str, Any]) -> list[str]:
    """What erase will do, in words, with the row counts of this person."""
    person, tables = data["person"], data["tables"]
    accounts = ", ".join(f"{CHANNELS.get(a['channel'], a['channel'])} {a['external_id']}"
                         for a in data["accounts"]) or "нет"
    lines = [f"{person['full_name']} ({data['organization']}), id {person['id']}",
             f"Будут удалены: ФИО, номер профсоюзного билета, роли; аккаунты: {accounts}."]
    lines += [f"  • {label}: {len(tables[name])}" for name, label in REMOVED.items()
              if tables[name]]
    lines.append("Останутся без имени и аккаунта:")
    lines += [f"  • {label}: {len(tables[name])}" for name, label in ANONYMISED.items()
              if tables[name]]
    lines.append(f"  • журнал согласий: {len(tables['consents'])} (доказательство согласия, "
                 "без имени и аккаунта)")
    return lines


def _exported(app: AppContext, person_id: int) -> dict[str, Any]:
    try:
        return asyncio.run(_with_engine(app, lambda engine: export(engine, person_id)))
    except NoSuchPerson:
        fail(f"человека с id {person_id} нет — найдите id командой `rupor people find ФАМИЛИЯ`",
             1)


async def _with_engine(app: AppContext, work: Any) -> Any:
    from core.storage.schema import ensure_schema

    url = app.settings.database.url
    engine = create_engine(url)
    try:
        await ensure_schema(engine, url)
        return await work(engine)
    finally:
        await engine.dispose()


async def _erase(engine: AsyncEngine, person_id: int) -> dict[str, int]:
    async with writing(engine) as conn:
        return await erase(conn, person_id, CLI_ACTOR)


async def _find(engine: AsyncEngine, name: str) -> list[list[str]]:
    # SQLite's LIKE folds ASCII only: try the typed, lower and capitalised forms.
    forms = {name.strip(), name.strip().lower(), name.strip().capitalize(), name.strip().title()}
    query = (
        select(Person.id, Person.full_name, Organization.name)
        .join(Organization, Organization.id == Person.org_id)
        .where(Person.erased_at.is_(None), or_(*(Person.full_name.like(f"%{f}%") for f in forms)))
        .order_by(Person.full_name).limit(FOUND_AT_MOST)
    )
    async with engine.connect() as conn:
        found = (await conn.execute(query)).all()
        ids = [int(row.id) for row in found]
        contacts = (await conn.execute(select(Contact.person_id, Contact.channel, Contact.status)
                                       .where(Contact.person_id.in_(ids)))).all()
    messengers: dict[int, list[str]] = {}
    for person_id, channel, status in contacts:
        state = "" if status == "active" else f" ({STATUSES.get(status, status)})"
        label = CHANNELS.get(channel, channel) + state
        messengers.setdefault(int(person_id or 0), []).append(label)
    return [[str(row.full_name), str(row.id), str(row.name),
             ", ".join(messengers.get(int(row.id), [])) or "—"] for row in found]
