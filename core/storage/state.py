"""The StateStore port on the `state` table."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.models import KeyValue


class DbStateStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(select(KeyValue.value).where(KeyValue.key == key))
            ).scalar_one_or_none()

    async def set(self, key: str, value: str) -> None:
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(KeyValue).where(KeyValue.key == key).values(value=value)
            )
            if changed.rowcount == 0:
                await conn.execute(insert(KeyValue).values(key=key, value=value))
