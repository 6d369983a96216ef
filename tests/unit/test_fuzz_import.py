"""Hypothesis against the member import (core.audience.importing): CSV in UTF-8, UTF-8 with
BOM or cp1251 with any of its delimiters, or XLSX, whose cells are replaced by hostile text,
numbers, huge strings, quotes, line breaks and formulas. A file is imported row by row or
refused whole (one Russian line, nothing written); a bad row is rejected with a Russian
reason and leaves no trace — neither its person nor its contacts — while every good row is
there. Each example runs against a fresh copy of the migrated database."""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import openpyxl
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from core.audience.importing.job import ImportFileError, ImportReport
from core.storage.engine import create_engine, session_factory
from core.storage.models import Contact, Person
from tests.conftest import _TEMPLATE
from tests.fuzzing import EMOJI, SPECIALS, fuzz, hostile_text
from tests.unit.import_support import HEADER, SCHOOL, run_import

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
FILES = itertools.count()

hostile_cell = st.one_of(
    hostile_text(12), st.text(max_size=20), st.sampled_from(SPECIALS + EMOJI),
    st.integers(-(10**20), 10**20).map(str), st.floats().map(str),
    st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\")", "5.01235E+09", "id0", "-0", "0x1F",
                     "https://vk.com/id1", "   ", "member, директор", "Регион/Район"]),
    st.builds(lambda piece, times: piece * times, st.sampled_from(["я", "\"", ";", "Ab1"]),
              st.integers(300, 3000)),
)


@st.composite
def member_rows(draw: st.DrawFn) -> list[list[str]]:
    """1–6 rows, each a valid member (unique name and accounts) with some cells made hostile."""
    rows = []
    for i in range(draw(st.integers(1, 6))):
        good = [f"Участникова{i} Анна", SCHOOL, "member", str(7_000_000 + i), "",
                f"ViberId{i}==", str(5_900_000_000 + i), "профком"]
        rows.append([draw(hostile_cell) if draw(st.integers(0, 4)) == 0 else cell
                     for cell in good])
    return rows


def csv_file(path: Path, rows: list[list[str]], encoding: str, delimiter: str
             ) -> dict[int, int]:
    """Write the file; the physical line each row starts on (a lone CR in a cell is left
    out: the reader counts it as a line of its own, this counting does not)."""
    rows = [[cell.replace("\r", "") for cell in row] for row in rows]
    text, lines = io.StringIO(), {}
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\n")
    writer.writerow(HEADER)
    for index, row in enumerate(rows):
        lines[index] = text.getvalue().count("\n") + 1
        writer.writerow(row)
    path.write_bytes(text.getvalue().encode(encoding))
    return lines


def xlsx_file(path: Path, rows: list[list[str]]) -> dict[int, int]:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) or None for cell in row])
    book.save(path)
    return {index: index + 2 for index in range(len(rows))}


def written(tmp_path: Path, rows: list[list[str]], kind: str) -> tuple[Path, dict[int, int]]:
    path = tmp_path / f"members-{next(FILES)}.{'xlsx' if kind == 'xlsx' else 'csv'}"
    if kind == "xlsx":
        return path, xlsx_file(path, rows)
    encoding, delimiter = kind.split("|")
    try:
        return path, csv_file(path, rows, encoding, delimiter)
    except UnicodeEncodeError:  # emoji in cp1251: the writer's problem, not the reader's
        rows = [[cell.encode(encoding, "replace").decode(encoding) for cell in row]
                for row in rows]
        return path, csv_file(path, rows, encoding, delimiter)


async def imported(tmp_path: Path, path: Path) -> tuple[ImportReport | ImportFileError,
                                                        set[str], set[str]]:
    """Import into a fresh database; the report (or refusal), people's names, contacts."""
    db = tmp_path / f"rupor-{next(FILES)}.sqlite3"
    db.write_bytes(_TEMPLATE["bytes"])
    engine = create_engine(f"sqlite:///{db}")
    try:
        try:
            outcome: ImportReport | ImportFileError = await run_import(
                session_factory(engine), path, create_orgs=True)
        except ImportFileError as refused:
            outcome = refused
        async with engine.connect() as conn:
            names = set((await conn.scalars(select(Person.full_name))).all())
            contacts = set((await conn.scalars(select(Contact.external_id))).all())
    finally:
        await engine.dispose()
    return outcome, names, contacts


KINDS = ["utf-8|,", "utf-8-sig|;", "cp1251|;", "cp1251|\t", "utf-8|\t", "xlsx"]


@fuzz(60)
@given(rows=member_rows(), kind=st.sampled_from(KINDS))
@example(rows=[["Участникова0 Анна", SCHOOL, "member", "7000000", "", "ViberId0==",
                "5900000000", "я" * 3000]], kind="utf-8|,")
async def test_a_member_file_is_imported_row_by_row_or_refused_whole(
    db_url: str, tmp_path: Path, rows: list[list[str]], kind: str
) -> None:
    path, lines = written(tmp_path, rows, kind)
    outcome, names, contacts = await imported(tmp_path, path)
    if isinstance(outcome, ImportFileError):
        assert CYRILLIC.search(str(outcome)) and "\n" not in str(outcome), outcome
        assert names == set() and contacts == set()
        return
    rejected = {r.line: r.reason for r in outcome.rejected}
    assert all(CYRILLIC.search(reason) for reason in rejected.values()), rejected
    for index, row in enumerate(rows):
        name, telegram_id = row[0], row[3]
        intact = name == f"Участникова{index} Анна"
        if not intact:
            continue
        if lines[index] in rejected:  # nothing of a rejected row was written
            assert name not in names, (rejected[lines[index]], row)
            assert telegram_id not in contacts
        else:
            assert name in names, (row, rejected)

