"""Batches of one import: a row is checked against the rows of earlier batches as they came
out (a rejected row claims nothing), and a malformed line stops the import after the rows
before it are written (core.audience.importing.job). Against a real SQLite file
(tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.audience.importing.job import ImportFileError
from core.storage.models import Contact, Person
from tests.unit.import_support import GYMNASIUM, SCHOOL, Sessions, count, run_import, write_csv


async def test_a_row_rejected_in_one_batch_does_not_block_its_member_in_the_next(
    sessions: Sessions, tmp_path: Path
) -> None:
    owner = [["Старый Член Профсоюза", GYMNASIUM, "", "42", "", "", "", ""]]
    await run_import(sessions, write_csv(tmp_path / "owner.csv", owner))
    rows = [
        ["Иванова Анна", SCHOOL, "", "42", "", "", "5900000001", ""],  # 42 is taken: rejected
        ["Иванова Анна", SCHOOL, "", "43", "", "", "5900000001", ""],  # the same member, fine
        ["Петров Пётр", SCHOOL, "", "43", "", "", "", ""],  # 43 was given on line 3
    ]
    report = await run_import(
        sessions, write_csv(tmp_path / "m.csv", rows), batch_size=1, create_orgs=True
    )
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "telegram_id 42 уже принадлежит другому человеку (Старый Член Профсоюза)"),
        (4, "telegram_id 43 уже указан в строке 3"),
    ]
    async with sessions() as session:
        anna = await session.scalar(select(Person).where(Person.member_id == "5900000001"))
        assert anna is not None
        contact = await session.scalar(select(Contact).where(Contact.external_id == "43"))
    assert contact is not None and contact.person_id == anna.id


async def test_rows_before_a_malformed_line_are_written(
    sessions: Sessions, tmp_path: Path
) -> None:
    path = tmp_path / "m.csv"
    huge = "x" * 200_000  # beyond the csv module's field size limit: the CSV is malformed
    path.write_text(
        "full_name,org_path\n"
        f"Иванова Анна,{SCHOOL}\n"
        f"Петров Пётр,{SCHOOL}\n"
        f'"{huge}",{SCHOOL}\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError, match="строка 4: CSV повреждён"):
        await run_import(sessions, path, batch_size=1)
    async with sessions() as session:
        names = set(await session.scalars(select(Person.full_name)))
    assert names == {"Иванова Анна", "Петров Пётр"}
    assert await count(sessions, Person) == 2
