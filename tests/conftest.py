"""Shared fixtures: a real SQLite file per test, upgraded by alembic like production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.storage.engine import create_engine, session_factory
from core.storage.schema import upgrade

_TEMPLATE: dict[str, bytes] = {}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """URL of a fresh, fully migrated SQLite file (migrated once per session, then copied)."""
    target = tmp_path / "rupor.sqlite3"
    if "bytes" not in _TEMPLATE:
        template = tmp_path / "template.sqlite3"
        upgrade(f"sqlite:///{template}")
        _TEMPLATE["bytes"] = template.read_bytes()
        template.unlink()
    target.write_bytes(_TEMPLATE["bytes"])
    return f"sqlite:///{target}"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)
