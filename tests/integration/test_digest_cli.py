"""`rupor digest build` through click's CliRunner on a month of work: the PDF written where
asked, its path and what it holds printed; an empty month said to be empty; a wrong month
refused in Russian with exit status 2."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result
from pypdf import PdfReader

from bots.cli.main import cli
from core.storage.engine import create_engine
from tests.digest_support import TITLES, make_month


async def _month(url: str) -> None:
    engine = create_engine(url)
    try:
        await make_month(engine)
    finally:
        await engine.dispose()


def _rupor(tmp_path: Path, db_url: str) -> tuple[Path, CliRunner]:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n[telegram]\ntoken = "123:abc"\n',
                      encoding="utf-8")
    return config, CliRunner()


def _run(tmp_path: Path, db_url: str, *args: str) -> Result:
    config, runner = _rupor(tmp_path, db_url)
    return runner.invoke(cli, ["--config", str(config), "digest", "build", *args])


def test_build_writes_the_month(tmp_path: Path, db_url: str) -> None:
    asyncio.run(_month(db_url))
    out = tmp_path / "сборник-ноябрь.pdf"
    result = _run(tmp_path, db_url, "--month", "2026-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Информационный сборник за ноябрь 2026" in result.output
    assert str(out) in result.output.replace("\n", "")
    assert "Отчётов: 3 (сотрудников: 2), рассылок: 2, опросов: 1." in result.output
    text = " ".join(page.extract_text() or "" for page in PdfReader(out).pages)
    assert all(title in " ".join(text.split()) for title in TITLES)


def test_an_empty_month_says_so(tmp_path: Path, db_url: str) -> None:
    out = tmp_path / "пусто.pdf"
    result = _run(tmp_path, db_url, "--month", "2027-02", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "нет ни отчётов, ни рассылок, ни опросов" in result.output
    assert out.exists()


def test_a_wrong_month_is_refused(tmp_path: Path, db_url: str) -> None:
    result = _run(tmp_path, db_url, "--month", "ноябрь")
    assert result.exit_code == 2
    assert "например 2026-11" in result.output
