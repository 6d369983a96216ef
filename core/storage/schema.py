"""Schema upgrades through alembic (the only way the schema changes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (blocking; creates a SQLite file's dir)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    # alembic's env.py runs its own event loop, so it must run outside ours.
    await asyncio.to_thread(upgrade, url, revision)


class SchemaError(Exception):
    """The database schema is not the one this version expects (the message, in Russian,
    reaches a person as is)."""


async def _schema_version(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        exists = await connection.run_sync(
            lambda sync: inspect(sync).has_table("alembic_version")
        )
        if not exists:
            return None
        return (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()


async def ensure_schema(engine: AsyncEngine, url: str) -> None:
    """Create the schema in a new database; refuse one at another revision."""
    version = await _schema_version(engine)
    if version is None:
        await upgrade_async(url)
        return
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    if version not in heads:
        raise SchemaError(
            f"схема базы данных на версии {version}, а эта версия Рупора ждёт "
            f"{', '.join(heads)}: сначала выполните `rupor db upgrade`"
        )
