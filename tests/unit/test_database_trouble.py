"""Passing database trouble told apart from real errors on a real SQLite file, waited out
by `persist`, and told once per episode (core/storage/trouble.py)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from core.storage.engine import create_engine
from core.storage.trouble import RECOVERED, TOLD, Trouble, cause_of, persist


def _file(tmp_path: Path) -> str:
    path = tmp_path / "t.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY, blob BLOB)")
    return f"sqlite:///{path}"


async def test_real_sqlite_errors_are_told_apart(tmp_path: Path) -> None:
    url = _file(tmp_path)
    engine = create_engine(url)
    try:
        with pytest.raises(IntegrityError) as duplicate:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (x) VALUES (1), (1)"))
        assert cause_of(duplicate.value) is None
        with pytest.raises(OperationalError) as missing:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT * FROM no_such_table"))
        assert cause_of(missing.value) is None
        with pytest.raises(OperationalError) as full:
            async with engine.begin() as conn:
                await conn.execute(text("PRAGMA max_page_count = 1"))
                await conn.execute(text("INSERT INTO t (blob) VALUES (randomblob(100000))"))
        assert cause_of(full.value) == "full"
    finally:
        await engine.dispose()
    assert cause_of(FileNotFoundError(2, "no socket")) == "unreachable"


async def test_persist_waits_out_trouble_and_tells_it_once(
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="rupor.database")
    trouble = Trouble()
    failures = [OperationalError("INSERT", {}, sqlite3.OperationalError(
        "database or disk is full"))] * 2

    async def work() -> str:
        if failures:
            raise failures.pop()
        return "written"

    assert await persist(work, trouble) == "written"
    told = [r.getMessage() for r in caplog.records]
    assert told == [TOLD["full"], RECOVERED]
    assert trouble.problem is None and trouble.waiting == 0 and trouble.episodes == 1


async def test_persist_raises_a_real_error_at_once() -> None:
    trouble = Trouble()
    calls = 0

    async def work() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await persist(work, trouble)
    assert calls == 1 and trouble.episodes == 0
