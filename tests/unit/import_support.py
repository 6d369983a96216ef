"""Helpers of the member-import tests: sample members, file writers, database snapshots."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audience.importing.job import ImportReport, import_members
from core.storage.models import Consent, Contact, Organization, Person, PersonTag

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
HEADER = ["full_name", "org_path", "roles", "telegram_id", "vk_id", "viber_id", "member_id", "tags"]
REGION = "Пермская краевая организация Профсоюза образования"
SCHOOL = f"{REGION}/Ленинский район/МАОУ «СОШ № 12»"
GYMNASIUM = f"{REGION}/Свердловский район/МБОУ «Гимназия № 4»"
MEMBERS = [
    ["Иванова Анна Петровна", SCHOOL, "member,young_teacher", "5012345678", "", "", "5900000001",
     "профком"],
    ["Петров  Пётр Ильич", SCHOOL, "председатель", "", "https://vk.com/id777", "", "5900000002",
     ""],
    ["Сидорова Мария Ивановна", GYMNASIUM, "молодой педагог, член профсоюза", "123456789",
     "id888", "AbC123+/xyz==", "", "наставник, Профком"],
    ["Кузнецова Ольга Сергеевна", f"{REGION}/Свердловский район", "chair", "", "", "",
     "5900000004", ""],
    ["Нетконтактов Иван Иванович", SCHOOL, "", "", "", "", "", ""],
]


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, encoding: str = "utf-8",
    delimiter: str = ",", header: Sequence[str] = HEADER,
) -> Path:
    with path.open("w", encoding=encoding, newline="") as output:
        writer = csv.writer(output, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _excel_value(column: str, text: str) -> object:
    """What Excel stores: numbers as floats, empty cells as nothing."""
    if not text:
        return None
    if column in ("telegram_id", "vk_id", "member_id") and text.isdigit():
        return float(text)
    return text


def write_xlsx(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append([_excel_value(c, v) for c, v in zip(HEADER, row, strict=True)])
    book.save(path)
    return path


async def run_import(sessions: Sessions, path: Path, **kwargs: Any) -> ImportReport:
    kwargs.setdefault("now", NOW)
    return await import_members(sessions, path, **kwargs)


SNAPSHOT_TABLES = (Organization, Person, PersonTag, Contact, Consent)


async def snapshot(sessions: Sessions) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the audience tables, every column: "changes nothing" means equal."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        for model in SNAPSHOT_TABLES:
            table = model.__table__
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [tuple(row) for row in rows]
    return found


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def content(sessions: Sessions) -> set[tuple[Any, ...]]:
    """The audience without database ids: who is where, with which roles, tags, contacts."""
    async with sessions() as session:
        people = await session.execute(
            select(Person.full_name, Organization.full_name, Person.member_id, Person.roles,
                   PersonTag.tag, Contact.channel, Contact.external_id, Contact.status,
                   Consent.source)
            .join(Organization, Organization.id == Person.org_id)
            .outerjoin(PersonTag, PersonTag.person_id == Person.id)
            .outerjoin(Contact, Contact.person_id == Person.id)
            .outerjoin(Consent, Consent.contact_id == Contact.id)
        )
        return {tuple(row) for row in people}


def bulk_rows(count: int) -> list[list[str]]:
    rows = []
    for n in range(count):
        district, school = divmod(n % 100, 20)
        path = f"{REGION}/Район {district}/Школа № {school}"
        channel = n % 4  # telegram, vk, viber, none
        ids = [str(10_000_000 + n) if channel == 0 else "", str(n + 1) if channel == 1 else "",
               f"viber{n}==" if channel == 2 else ""]
        roles = "member,young_teacher" if n % 7 == 0 else "member"
        rows.append([f"Член Профсоюза {n}", path, roles, *ids, f"59{n:08d}",
                     "профком" if n % 10 == 0 else ""])
    return rows
