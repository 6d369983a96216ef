"""The models and the migrations agree, and the constraints the queue relies on hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.engine import SQLITE_BUSY_NOTICE_MS
from core.storage.models import Base, Contact, Organization, Person, Reply
from core.storage.schema import upgrade


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


async def _reply(connection: Any, contact_id: int) -> int:
    result = await connection.execute(
        insert(Reply).values(channel="vk", contact_id=contact_id, content={"spans": []})
        .returning(Reply.id))
    return int(result.scalar_one())


async def test_a_deleted_replys_id_is_never_handed_out_again(engine: AsyncEngine) -> None:
    # VK's random_id is made from a reply's id: erasing a member deletes the replies to them,
    # and a reused id made the goodbye after it look like a repeat, which VK drops.
    async with engine.begin() as connection:
        contact = (await connection.execute(insert(Contact).values(
            channel="vk", external_id="7").returning(Contact.id))).scalar_one()
        first, last = await _reply(connection, contact), await _reply(connection, contact)
        await connection.execute(delete(Reply).where(Reply.id == last))
        assert await _reply(connection, contact) == last + 1 > first


def test_the_upgrade_to_autoincrement_keeps_the_replies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0008")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute("INSERT INTO contacts (channel, external_id, kind, status, dialog_state, "
                   "updated_at) VALUES ('vk', '7', 'user', 'active', '{}', '2026-12-01')")
        for _ in range(3):
            db.execute("INSERT INTO replies (channel, contact_id, content, status, attempts, "
                       "next_attempt_at, created_at) VALUES ('vk', 1, '{}', 'pending', 0, 0, "
                       "'2026-12-01')")
        db.execute("DELETE FROM replies WHERE id = 3")
    upgrade(url)
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        assert [r[0] for r in db.execute("SELECT id FROM replies ORDER BY id")] == [1, 2]
        db.execute("DELETE FROM replies WHERE id = 2")
        db.execute("INSERT INTO replies (channel, contact_id, content, created_at) "
                   "VALUES ('vk', 1, '{}', '2026-12-02')")
        assert [r[0] for r in db.execute("SELECT id FROM replies ORDER BY id")] == [1, 3]
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE "
                                            "type = 'index' AND tbl_name = 'replies'")}
        assert "ix_replies_due" in indexes
