"""`rupor admins add | list | remove` and `rupor audit`: roles bound to messenger accounts,
and the log of what was done. Every change made here is audited with the actor "cli"."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.cli.context import AppContext, pass_app
from bots.console import fail, print_json, show, table
from core.access.audit import CLI_ACTOR, AuditEntry, list_audit, record
from core.access.grants import Grant, account_name, grant, list_grants, revoke
from core.access.rules import Role
from core.access.texts import ROLE_TITLES
from core.storage.engine import create_engine

# The account options: (option, channel, its name for people, whether its ids are numbers).
ACCOUNTS = (
    ("telegram_id", "telegram", "Telegram", True),
    ("vk_id", "vk", "VK", True),
    ("viber_id", "viber", "Viber", False),
)
# English names, and the Russian ones the member file uses for these roles too.
ROLE_WORDS = {
    **{role.value: role for role in Role},
    **{title: Role(name) for name, title in ROLE_TITLES.items()},
    "пресс-служба": Role.PRESS,
    "аппарат": Role.STAFF,
}
SHORT_ROLES = {**ROLE_TITLES, "staff": "аппарат"}  # what fits a table's column
RESULTS = {"ok": "выполнено", "refused": "отказано", "failed": "ошибка"}
ACTIONS = {
    "admins.grant": "выдача роли",
    "admins.revoke": "снятие роли",
    "campaign.create": "создание рассылки",
    "campaign.cancel": "отмена рассылки",
}
DETAIL_KEYS = {
    "campaign_id": "рассылка", "refusal": "отказ", "dialogue_owner": "диалог начал",
    "chat_id": "чат", "sender_chat_id": "от имени чата", "error": "ошибка",
}
REFUSAL_WORDS = {
    "anonymous": "анонимно", "forwarded": "переслано", "not_dialogue_owner": "чужая кнопка",
    "role_revoked": "роль снята", "not_permitted": "нет роли",
}


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _accounts(func: Any) -> Any:
    for option, _, label, numeric in reversed(ACCOUNTS):
        func = click.option(
            _flag(option), option, metavar="N" if numeric else "ID",
            help=f"Аккаунт в {label}" + (" (число)." if numeric else "."),
        )(func)
    return func


def _account(ids: dict[str, str | None]) -> tuple[str, str]:
    """(channel, account id) from exactly one of the account options."""
    given = [(option, channel, numeric, ids[option])
             for option, channel, _, numeric in ACCOUNTS if ids[option] is not None]
    if len(given) != 1:
        options = ", ".join(_flag(option) for option, *_ in ACCOUNTS)
        fail(f"укажите ровно один аккаунт: {options}", 2)
    option, channel, numeric, value = given[0]
    value = (value or "").strip()
    if not value or (numeric and not value.isdigit()):
        fail(f"{_flag(option)} {value!r}: нужен id аккаунта"
             f"{' — положительное число' if numeric else ''}", 2)
    return channel, str(int(value)) if numeric else value  # as the platform writes it: 7, not 007


def _role(name: str) -> Role:
    role = ROLE_WORDS.get(name.strip().lower().replace("ё", "е"))
    if role is None:
        fail(f"--role {name!r}: такой роли нет; роли: admin, press, staff", 2)
    return role


def _who(channel: str, external_id: str, name: str | None) -> str:
    return f"{channel} {external_id}" + (f" ({name})" if name else "")


async def _engine(app: AppContext) -> AsyncEngine:
    from core.storage.schema import ensure_schema

    url = app.settings.database.url
    engine = create_engine(url)
    await ensure_schema(engine, url)
    return engine


@click.group()
def admins() -> None:
    """Роли в мессенджерах: администратор (admin), пресс-секретарь (press), аппарат (staff)."""


@admins.command("add")
@_accounts
@click.option("--role", "role_name", default=None, metavar="admin|press|staff",
              help="Роль (обязательно): admin — всё, и выдача ролей; press — рассылки "
                   "и отчёты; staff — вопросы членов профсоюза и отчёты.")
@pass_app
def add(app: AppContext, /, role_name: str | None, **ids: str | None) -> None:
    """Выдать роль аккаунту в мессенджере (повторная выдача ничего не меняет)."""
    channel, external_id = _account(ids)
    if role_name is None:
        fail("укажите роль: --role admin, press или staff", 2)
    role = _role(role_name)
    added, name = asyncio.run(_grant(app, channel, external_id, role))
    who, title = _who(channel, external_id, name), ROLE_TITLES[role]
    if added:
        show(f"Роль «{title}» выдана: {who}.")
    else:
        show(f"У {who} роль «{title}» уже есть: ничего не изменилось.")


async def _grant(app: AppContext, channel: str, external_id: str, role: Role) -> tuple[bool, Any]:
    engine = await _engine(app)
    try:
        async with engine.begin() as conn:
            added = await grant(conn, channel, external_id, role, CLI_ACTOR)
            await record(conn, CLI_ACTOR, "admins.grant", {
                "channel": channel, "external_id": external_id, "role": str(role),
                "changed": added})
            return added, await account_name(conn, channel, external_id)
    finally:
        await engine.dispose()


@admins.command("remove")
@_accounts
@click.option("--role", "role_name", default=None, metavar="admin|press|staff",
              help="Какую роль снять (по умолчанию — все роли аккаунта).")
@pass_app
def remove(app: AppContext, /, role_name: str | None, **ids: str | None) -> None:
    """Снять роль (или все роли) с аккаунта; действует с ближайшей команды или кнопки."""
    channel, external_id = _account(ids)
    role = _role(role_name) if role_name is not None else None
    removed, name = asyncio.run(_revoke(app, channel, external_id, role))
    who = _who(channel, external_id, name)
    if removed:
        show(f"Снято с {who}: {', '.join(ROLE_TITLES[r] for r in removed)}.")
    elif role is not None:
        show(f"У {who} не было роли «{ROLE_TITLES[role]}»: снимать нечего.")
    else:
        show(f"У {who} не было ролей: снимать нечего.")


async def _revoke(
    app: AppContext, channel: str, external_id: str, role: Role | None
) -> tuple[list[Role], Any]:
    engine = await _engine(app)
    try:
        async with engine.begin() as conn:
            removed = await revoke(conn, channel, external_id, role)
            await record(conn, CLI_ACTOR, "admins.revoke", {
                "channel": channel, "external_id": external_id,
                "role": str(role) if role else "all", "removed": [str(r) for r in removed]})
            return removed, await account_name(conn, channel, external_id)
    finally:
        await engine.dispose()


@admins.command("list")
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """Кто какую роль имеет: мессенджер, id аккаунта, роль, кто и когда выдал."""
    grants = asyncio.run(_read(app, list_grants))
    if as_json:
        print_json([{**asdict(g), "granted_at": g.granted_at.isoformat()} for g in grants])
    elif not grants:
        show("Ролей пока ни у кого нет. Выдать: rupor admins add --telegram-id N --role press")
    else:
        show(_grants_table(grants))


def _grants_table(grants: list[Grant]) -> Any:
    view = table(
        "Роли в мессенджерах (время — UTC)",
        ("Человек", "Мессенджер", "Id", "Роль", "Выдал", "Когда"),
        [[g.name or "—", g.channel, g.external_id, SHORT_ROLES.get(g.role, g.role),
          g.granted_by, f"{g.granted_at:%Y-%m-%d %H:%M}"] for g in grants],
    )
    for column in view.columns:
        column.justify = "left"
    return view


async def _read(app: AppContext, reader: Any, **filters: Any) -> Any:
    engine = await _engine(app)
    try:
        return await reader(engine, **filters)
    finally:
        await engine.dispose()


@click.command("audit")
@click.option("--last", type=click.IntRange(min=1), default=50, show_default=True,
              metavar="N", help="Сколько последних записей показать.")
@click.option("--since", metavar="ГГГГ-ММ-ДД", default=None, help="Только с этого дня (UTC).")
@click.option("--actor", default=None, help="Только действия этого аккаунта (id) или cli.")
@click.option("--json", "as_json", is_flag=True, help="В JSON (для скриптов).")
@pass_app
def audit(app: AppContext, last: int, since: str | None, actor: str | None,
          as_json: bool) -> None:
    """Журнал действий администраторов: кто, что, когда, из какого мессенджера и чем кончилось."""
    entries = asyncio.run(_read(app, list_audit, last=last, since=_day(since), actor=actor))
    if as_json:
        print_json([{**asdict(e), "at": e.at.isoformat()} for e in entries])
    elif not entries:
        show("Журнал пуст.")
    else:
        show(_audit_table(entries))


def _day(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        fail(f"--since {text!r}: пишите дату так: 2026-09-01", 2)


def _audit_table(entries: list[AuditEntry]) -> Any:
    view = table(
        "Журнал действий (время — UTC: часовой пояс в настройках пока не задаётся)",
        ("Когда", "Кто", "Мессенджер", "Действие", "Результат", "Подробности"),
        [[f"{e.at:%Y-%m-%d %H:%M}", e.actor_name or e.actor, e.channel or "консоль",
          _action(e.action), RESULTS.get(e.result, e.result),
          _details(e.action, e.details)] for e in entries],
    )
    for column in view.columns:
        column.justify = "left"
    return view


def _action(action: str) -> str:
    """A chat command as the person typed it (/post), else its name in words."""
    if action.startswith("chat."):
        return "/" + action.removeprefix("chat.")
    return ACTIONS.get(action, action)


def _details(action: str, details: dict[str, Any] | None) -> str:
    """Details in words: a role change names the account and the roles."""
    details = details or {}
    if action in ("admins.grant", "admins.revoke") and "external_id" in details:
        return f"{details.get('channel')} {details['external_id']}: " + _role_change(details)
    return "; ".join(
        f"{DETAIL_KEYS.get(key, key)}: "
        + (REFUSAL_WORDS.get(value, value) if isinstance(value, str) else str(value))
        for key, value in details.items()
    )


def _role_change(details: dict[str, Any]) -> str:
    role = str(details.get("role"))
    if "removed" not in details:
        return ROLE_TITLES.get(role, role) + ("" if details.get("changed", True) else
                                              " (уже была)")
    if details["removed"]:
        return "снято: " + ", ".join(ROLE_TITLES.get(r, r) for r in details["removed"])
    return "снимать было нечего"
