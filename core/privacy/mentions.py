"""Audit entries whose details name one of the person's accounts (a role given to them, a
dialogue they owned): found by a text match, then judged value by value, so an id that
merely occurs inside a longer number, or the same id on another messenger, is left alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.privacy.subject import Subject
from core.storage.models import Audit


async def mentioning(conn: AsyncConnection, who: Subject) -> list[Any]:
    """(id, details) of the entries whose details hold one of the accounts as a value."""
    if not who.accounts:
        return []
    text = cast(Audit.details, Text)
    query = select(Audit.id, Audit.details).where(
        or_(*(text.like(f"%{account}%") for _, account in who.accounts)))
    rows = (await conn.execute(query.order_by(Audit.id))).all()
    return [row for row in rows if _replaced(row.details, who, {}) != row.details]


async def scrub(conn: AsyncConnection, who: Subject, names: dict[str, str]) -> int:
    """Replace those values by the placeholders (`names`: account -> placeholder)."""
    rows = await mentioning(conn, who)
    for row in rows:
        details = _replaced(row.details, who, names)
        await conn.execute(update(Audit).where(Audit.id == row.id).values(details=details))
    return len(rows)


def _replaced(details: Any, who: Subject, names: dict[str, str]) -> Any:
    """The details with each value naming an account replaced (by "?" when unnamed)."""
    if not isinstance(details, dict):
        return details
    channel = details.get("channel")
    own = {account: names.get(account, "?") for ch, account in who.accounts
           if channel in (None, ch)}
    own.update({f"{ch}:{account}": f"{ch}:{names.get(account, '?')}"
                for ch, account in who.accounts})
    return {key: _value(value, own) for key, value in details.items()}


def _value(value: Any, own: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _value(inner, own) for key, inner in value.items()}
    if isinstance(value, list):
        return [_value(inner, own) for inner in value]
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value) in own:
        return own[str(value)]
    return value
