"""The digest PDF (issue 14, item 5) built from a month of work on a real SQLite file; its
text, extracted with pypdf, holds in Cyrillic every report, every campaign's title and
figures, every poll's question and counts, the title page and the page numbers."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.digest.build import build_digest
from core.digest.month import Month
from tests.digest_support import NOVEMBER, OPTIONS, QUESTION, REPORTS, STAFF, TITLES, make_month
from tests.factories import REGION


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pages(path: Path) -> list[str]:
    return [_flat(page.extract_text() or "") for page in PdfReader(path).pages]


async def test_the_digest_holds_the_whole_month(engine: AsyncEngine, tmp_path: Path) -> None:
    await make_month(engine)
    built = await build_digest(engine, NOVEMBER, tmp_path / "сборник.pdf", "Europe/Moscow")
    pages = _pages(built.path)
    text = " ".join(pages)
    assert "Информационный сборник" in pages[0] and "ноябрь 2026" in pages[0]
    assert REGION in pages[0]
    assert "Содержание" in pages[1]
    for _account, report in REPORTS:
        for paragraph in report.split("\n\n"):
            assert _flat(paragraph) in text
    for name in list(STAFF.values())[:2]:
        assert name in text
    assert STAFF["100002"] not in text  # no report, no section
    assert "план работы.docx" in text
    for line in built.content.campaigns:
        assert line.reach is not None and line.title in TITLES
        total = line.reach.total
        row = (f"№{line.campaign_id} {line.title} 12.11.2026" if line.title == TITLES[0]
               else f"№{line.campaign_id} {line.title}")
        assert row in text
        assert f"{total.counts['targeted']} {total.reached} {100 * total.share:.0f} %" in text
    assert "Октябрьская" not in text
    assert QUESTION in text
    assert f"{OPTIONS[0]} 3 60 %" in text and f"{OPTIONS[1]} 2 40 %" in text
    assert "— 2 —" in pages[1]
    assert built.counts == {"reports": 3, "authors": 2, "campaigns": 2, "polls": 1}


async def test_an_empty_month_says_so(engine: AsyncEngine, tmp_path: Path) -> None:
    built = await build_digest(engine, Month(2027, 3), tmp_path / "пусто.pdf", "Europe/Moscow")
    text = " ".join(_pages(built.path))
    assert "март 2027" in text
    assert "Отчётов за этот месяц нет." in text and "Рассылок в этом месяце не было." in text
    assert built.content.empty
