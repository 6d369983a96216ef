"""Values for SQL run on a plain sqlite3 connection (core.inbound.statements,
core.audience.importing.statements), converted by the SQLite dialect's own processors: the stored
text is what SQLAlchemy stores, and what it reads back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import sqlite

DIALECT = sqlite.dialect()


def _same(value: Any) -> Any:
    return value


def bind(column: ColumnElement[Any]) -> Callable[[Any], Any]:
    """How SQLAlchemy converts a value for this column before SQLite stores it."""
    process = column.type.dialect_impl(DIALECT).bind_processor(DIALECT)
    return process if process is not None else _same


def result(column: ColumnElement[Any]) -> Callable[[Any], Any]:
    """How SQLAlchemy converts this column's stored value when it reads it."""
    process = column.type.dialect_impl(DIALECT).result_processor(DIALECT, None)
    return process if process is not None else _same


def marks(count: int) -> str:
    """`count` positional placeholders: "?, ?, ?"."""
    return ", ".join("?" * count)
