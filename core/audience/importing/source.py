"""Streaming readers of member lists: CSV (UTF-8, UTF-8 with BOM, or cp1251; comma,
semicolon or tab) and XLSX. Rows come with the physical line number they start on.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 16
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the binary .xls of Excel 97-2003
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CYRILLIC = re.compile("[\u0400-\u04ff]")
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "запятая", ";": "точка с запятой", "\t": "табуляция"}


class ImportFileError(Exception):
    """A file that cannot be imported at all; the message is one line saying why."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # the physical line (CSV) or sheet row (XLSX) the record starts on
    cells: list[str]


@dataclass(frozen=True)
class MemberSource:
    description: str  # e.g. "CSV, cp1251, точка с запятой"
    header: list[str]
    rows: Iterator[SourceRow]


def _refuse_control(text: str, lines_before: int) -> int:
    """Lines seen so far with `text`; refuses the file at its first control character,
    saying where (a file that is text in neither encoding is refused elsewhere)."""
    found = CONTROL.search(text)
    if found is not None:
        line = lines_before + text.count("\n", 0, found.start()) + 1
        raise ImportFileError(
            f"в строке {line} управляющий символ U+{ord(found.group()):04X}, какого не бывает "
            "в тексте: это не текстовый CSV (или в ячейку попал мусор); проверьте эту строку "
            "и сохраните список заново как «CSV UTF-8»"
        )
    return lines_before + text.count("\n")


def _scan_utf8(stream: IO[bytes]) -> bool:
    """True when the whole stream is UTF-8; refuse a file mixing UTF-8 with another code."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    cyrillic = offset = lines = 0
    try:
        while chunk := stream.read(CHUNK):
            offset += len(chunk)
            text = decoder.decode(chunk)
            if cyrillic < 2 and not text.isascii():
                cyrillic += len(CYRILLIC.findall(text, 0, 4096))
            lines = _refuse_control(text, lines)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        # cp1251 Cyrillic is never valid UTF-8 for long; Cyrillic decoded first means a mix.
        if cyrillic >= 2:
            raise ImportFileError(
                "файл начинается в UTF-8, но дальше (в пределах "
                f"{offset} байт от начала) другая кодировка; сохраните его заново как «CSV UTF-8»"
            ) from None
        return False
    return True


def _scan_cp1251(stream: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("cp1251")()
    lines = 0
    try:
        while chunk := stream.read(CHUNK):
            lines = _refuse_control(decoder.decode(chunk), lines)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) or cp1251, by scanning the whole file in chunks."""
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(
                "файл в кодировке UTF-16 («Текст Юникод»); сохраните его как «CSV UTF-8» или "
                "«CSV (разделители — запятые)»"
            )
        stream.seek(0)
        if _scan_utf8(stream):
            return "utf-8-sig"
        stream.seek(0)
        if _scan_cp1251(stream):
            return "cp1251"
    raise ImportFileError(
        "файл не в UTF-8 и не в Windows-1251 (cp1251); сохраните его как «CSV UTF-8»"
    )


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that occurs most often outside quotes in the header line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(reader: Any) -> Iterator[SourceRow]:
    previous = reader.line_num
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if "".join(cells).strip():  # some cell holds more than whitespace
                yield SourceRow(start, cells)
    except csv.Error as exc:
        raise ImportFileError(f"строка {previous + 1}: CSV повреждён ({exc})") from None


@contextmanager
def _open_csv(path: Path) -> Iterator[MemberSource]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as text:
        first = text.readline()
        delimiter = sniff_delimiter(first)
        text.seek(0)
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader, [])
        name = "UTF-8" if encoding == "utf-8-sig" else encoding
        yield MemberSource(
            f"CSV, {name}, {DELIMITER_NAMES[delimiter]}", header, _csv_rows(reader)
        )


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person typed: 9100000.0 is "9100000", empty is ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(rows: Iterator[tuple[object, ...]]) -> Iterator[SourceRow]:
    for line, values in enumerate(rows, start=2):
        cells = [cell_text(value) for value in values]
        if any(cells):
            yield SourceRow(line, cells)


@contextmanager
def _open_xlsx(path: Path) -> Iterator[MemberSource]:
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, so the workbook is recognised by content whatever its name ends with.
    with path.open("rb") as stream:
        try:
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except (BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise ImportFileError(f"не удаётся прочитать книгу XLSX: {exc}") from None
        try:
            sheet = book.worksheets[0]
            # Some writers store a wrong sheet size; without it openpyxl reads every cell.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True)
            header = [cell_text(value) for value in next(rows, ())]
            yield MemberSource(f"XLSX, лист «{sheet.title}»", header, _xlsx_rows(rows))
        finally:
            book.close()


@contextmanager
def open_member_file(path: Path) -> Iterator[MemberSource]:
    """Open a CSV or XLSX member list for streaming; ImportFileError when unusable."""
    try:
        with path.open("rb") as stream:
            magic = stream.read(4)
    except FileNotFoundError:
        raise ImportFileError("файл не найден") from None
    except OSError as exc:
        raise ImportFileError(f"не удаётся прочитать: {exc.strerror or exc}") from None
    if magic.startswith(OLE_MAGIC):
        raise ImportFileError("старая книга .xls; сохраните её как .xlsx или «CSV UTF-8»")
    opener = _open_xlsx if magic.startswith(XLSX_MAGIC) else _open_csv
    with opener(path) as source:
        yield source
