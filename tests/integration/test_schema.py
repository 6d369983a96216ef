"""The models and the migrations agree, and the constraints the queue relies on hold."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.engine import SQLITE_BUSY_NOTICE_MS
from core.storage.models import Base, Contact, Organization, Person


async def test_autogenerate_finds_no_difference(engine: AsyncEngine) -> None:
    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(compare) == []


async def test_sqlite_runs_in_wal_with_foreign_keys(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        # A writer first waits the short notice timeout, tells the operator, then waits the
        # full busy timeout (core/storage/engine._begin_immediate).
        busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
        assert busy == SQLITE_BUSY_NOTICE_MS


async def _org(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        result = await connection.execute(
            insert(Organization)
            .values(kind="region", name="R", code="r1", tree_path="/1/", full_name="R")
            .returning(Organization.id)
        )
        return int(result.scalar_one())


async def test_a_contact_is_unique_per_channel_and_id(engine: AsyncEngine) -> None:
    await _org(engine)
    async with engine.begin() as connection:
        await connection.execute(insert(Contact).values(channel="telegram", external_id="42"))
        await connection.execute(insert(Contact).values(channel="vk", external_id="42"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(Contact).values(channel="telegram", external_id="42"))
    async with engine.connect() as connection:
        count = (await connection.execute(select(Contact.id))).all()
    assert len(count) == 2


async def test_people_are_unique_by_member_id_and_by_name_in_org(engine: AsyncEngine) -> None:
    org = await _org(engine)
    async with engine.begin() as connection:
        await connection.execute(insert(Person).values(full_name="Иванова А. Б.", org_id=org))
        await connection.execute(
            insert(Person).values(
                full_name="Иванова А. Б.", org_id=org, member_id="77", member_id_key="77"
            )
        )
    for values in ({"member_id": "77", "member_id_key": "77", "full_name": "Другая"}, {}):
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    insert(Person).values({"full_name": "Иванова А. Б.", "org_id": org, **values})
                )


async def test_foreign_keys_are_enforced(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(Person).values(full_name="X", org_id=999))
