"""Columns and rows of a member list: header mapping and per-field validation.

A row with any invalid field is rejected whole, with every reason found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from core.audience.cells import cell
from core.audience.directory import (
    MAX_NAME_LEN,
    OrgPath,
    OrgPathError,
    normalize_name,
    normalize_tag,
    org_full_name,
    parse_org_path,
)
from core.audience.importing.source import ImportFileError, SourceRow
from core.audience.roles import parse_roles

REQUIRED = ("full_name", "org_path")
OPTIONAL = ("roles", "member_id", "tags")
MAX_ID_LEN = 64
MAX_TAG_LEN = 64
DIGITS = re.compile(r"^\d{1,20}(?:\.0+)?$")  # "9100000.0": a float column written as text
SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")
VK_PROFILE = re.compile(
    r"^(?:https?://)?(?:m\.|www\.)?vk\.(?:com|ru)/(?:id(\d+)|(\S+?))/?$", re.IGNORECASE
)
VK_ID = re.compile(r"^id(\d+)$", re.IGNORECASE)


class RowError(ValueError):
    """Reasons a row was rejected, joined by "; "."""


def positive_id(column: str, text: str) -> str:
    """A positive integer id (Telegram user id, VK user id) as its decimal text."""
    if text.isdecimal() and len(text) <= 20:  # the common case; \d is exactly isdecimal()
        number = int(text)
        if number > 0:
            return str(number)
    if SCIENTIFIC.match(text):
        raise RowError(
            f"{column} {cell(text)} записан в экспоненциальной форме Excel, цифры потеряны; "
            "задайте столбцу формат «Текстовый» или «Числовой» и сохраните файл заново"
        )
    if not DIGITS.match(text):
        raise RowError(f"{column} {cell(text)} — не число")
    number = int(text.split(".")[0])
    if number <= 0:
        raise RowError(f"{column} {cell(text)} должен быть положительным числом")
    return str(number)


def vk_user_id(column: str, text: str) -> str:
    """A VK user id: 123, id123 or a profile link https://vk.com/id123."""
    profile = VK_PROFILE.match(text)
    if profile and profile.group(2):
        raise RowError(
            f"{column} {cell(text)} — короткое имя, его не узнать без сети; "
            "укажите числовой id (https://vk.com/id123)"
        )
    plain = profile.group(1) if profile else None
    short = VK_ID.match(text)
    return positive_id(column, plain or (short.group(1) if short else text))


def viber_user_id(column: str, text: str) -> str:
    if any(char.isspace() for char in text):
        raise RowError(f"{column} {cell(text)} не должен содержать пробелов")
    if len(text) > MAX_ID_LEN:
        raise RowError(f"{column} длиннее {MAX_ID_LEN} символов")
    return text


# Contact columns are "<channel>_id"; a new messenger adds its id parser here.
CONTACT_ID_PARSERS: dict[str, Callable[[str, str], str]] = {
    "telegram": positive_id,
    "vk": vk_user_id,
    "viber": viber_user_id,
}
CONTACT_COLUMNS = {f"{channel}_id": channel for channel in CONTACT_ID_PARSERS}
KNOWN = REQUIRED + ("roles", *CONTACT_COLUMNS, "member_id", "tags")


@dataclass(frozen=True)
class Columns:
    """Where each known column is in the file; optional ones may be absent."""

    index: dict[str, int]

    @cached_property
    def positions(self) -> frozenset[int]:
        return frozenset(self.index.values())

    @cached_property
    def width(self) -> int:
        return max(self.index.values()) + 1

    @cached_property
    def gaps(self) -> bool:
        """Some column before the last named one has no name (its values must be empty)."""
        return len(self.positions) < self.width

    @cached_property
    def fields(self) -> tuple[tuple[str, int, Callable[[str], Any]], ...]:
        """(name, position, parser) of the member fields the file has, in FIELD_PARSERS order
        (the order a row's reasons are listed in)."""
        return tuple(
            (name, self.index[name], parser)
            for name, parser in FIELD_PARSERS.items() if name in self.index
        )

    @cached_property
    def contact_fields(self) -> tuple[tuple[str, str, int, Callable[[str, str], str]], ...]:
        """(column, channel, position, parser) of the contact columns the file has."""
        return tuple(
            (column, channel, self.index[column], CONTACT_ID_PARSERS[channel])
            for column, channel in CONTACT_COLUMNS.items() if column in self.index
        )


def column_name(text: str) -> str:
    return "_".join(text.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def map_header(header: Sequence[str]) -> Columns:
    """Match header names case-insensitively; refuse unknown, repeated or missing columns."""
    index: dict[str, int] = {}
    for position, raw in enumerate(header):
        name = column_name(raw)
        if not name:
            continue  # a stray empty column, as Excel leaves after the last one
        if name not in KNOWN:
            raise ImportFileError(
                f"неизвестный столбец {raw.strip()!r} в заголовке (известны: {', '.join(KNOWN)})"
            )
        if name in index:
            raise ImportFileError(f"столбец {name!r} дважды в заголовке")
        index[name] = position
    missing = [name for name in REQUIRED if name not in index]
    if missing:
        raise ImportFileError(
            f"в заголовке (строка 1) нет обязательных столбцов: {', '.join(missing)}"
        )
    return Columns(index)


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One valid row; None for a column the file does not have (left untouched)."""

    line: int
    full_name: str
    org_path: OrgPath
    roles: int | None
    tags: frozenset[str] | None
    member_id: str | None
    contacts: tuple[tuple[str, str], ...]

    @property
    def identity(self) -> tuple[str, ...]:
        if self.member_id:
            return ("member_id", self.member_id)
        return ("name", org_full_name(self.org_path), self.full_name)


def _full_name(text: str) -> str:
    name = normalize_name(text)
    if not name:
        raise RowError("full_name пуст")
    if len(name) > MAX_NAME_LEN:
        raise RowError(f"full_name длиннее {MAX_NAME_LEN} символов")
    return name


def _tags(text: str) -> frozenset[str]:
    if not text:
        return frozenset()
    tags = frozenset(normalize_tag(part) for part in text.split(",") if part.strip())
    long_tag = next((tag for tag in tags if len(tag) > MAX_TAG_LEN), None)
    if long_tag is not None:
        raise RowError(f"метка {long_tag[:20]!r}… длиннее {MAX_TAG_LEN} символов")
    return tags


def _member_id(text: str) -> str | None:
    if len(text) > MAX_ID_LEN:
        raise RowError(f"member_id длиннее {MAX_ID_LEN} символов")
    return text or None


def _roles(text: str) -> int:
    try:
        return int(parse_roles(text))
    except ValueError as exc:
        raise RowError(f"roles: {exc}") from None


# Rows of one file repeat a few dozen organisation paths and role lists many times over.
_org_path = lru_cache(maxsize=4096)(parse_org_path)
_cached_roles = lru_cache(maxsize=256)(_roles)
_cached_tags = lru_cache(maxsize=1024)(_tags)
FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "full_name": _full_name, "org_path": _org_path, "roles": _cached_roles,
    "tags": _cached_tags, "member_id": _member_id,
}


def _stray(cells: list[str], columns: Columns) -> None:
    named = columns.positions
    if len(cells) <= columns.width and not columns.gaps:
        return
    stray = next((i for i, cell in enumerate(cells) if cell.strip() and i not in named), None)
    if stray is not None:
        raise RowError(f"значение в столбце {stray + 1}, у которого нет названия в заголовке")


def _contacts(
    cells: list[str], columns: Columns, reasons: list[str]
) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    count = len(cells)
    for column, channel, i, parser in columns.contact_fields:
        text = cells[i].strip() if i < count else ""
        if text:
            try:
                found.append((channel, parser(column, text)))
            except RowError as exc:
                reasons.append(str(exc))
    return tuple(found)


def parse_row(row: SourceRow, columns: Columns) -> MemberRow:
    """Validate one row; RowError lists every invalid field."""
    cells = row.cells
    _stray(cells, columns)
    count = len(cells)
    reasons: list[str] = []
    parsed: dict[str, Any] = {}
    for name, i, parser in columns.fields:
        try:
            parsed[name] = parser(cells[i].strip() if i < count else "")
        except (RowError, OrgPathError) as exc:
            reasons.append(str(exc))
    contacts = _contacts(cells, columns, reasons)
    if reasons:
        raise RowError("; ".join(reasons))
    return MemberRow(
        row.line, parsed["full_name"], parsed["org_path"], parsed.get("roles"),
        parsed.get("tags"), parsed.get("member_id"), contacts,
    )
