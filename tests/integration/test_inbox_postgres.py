"""The inbox's group commit on PostgreSQL: several webhook processes (engines) receiving
the same platform retries at once store and handle every update exactly once.

A throwaway server on a Unix socket (the fixture of test_audience_postgres); skipped where
the PostgreSQL server programs are not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import Command, InboundEvent, Receipt, Sender, Text
from core.storage.engine import create_engine
from core.storage.models import Inbound, Reply
from core.storage.schema import upgrade_async
from tests.factories import add_members, make_union
from tests.integration.test_audience_postgres import _fresh_database, postgres_server

__all__ = ["postgres_server"]  # the module-scoped server fixture, shared


@pytest.fixture
async def pg_engines(
    postgres_server: str, request: pytest.FixtureRequest
) -> AsyncIterator[list[AsyncEngine]]:
    """Three engines (three "processes") on one fresh database holding a small union."""
    url = await _fresh_database(postgres_server, "inbox_" + request.node.name.lower()[:50])
    await upgrade_async(url)
    engines = [create_engine(url) for _ in range(3)]
    union = await make_union(engines[0])
    await add_members(engines[0], union, 30, {"telegram": 1.0, "vk": 1.0})
    yield engines
    for engine in engines:
        await engine.dispose()


def member(n: int) -> Sender:
    return Sender("telegram", str(100000 + n), "Участник")


async def test_processes_racing_on_the_same_updates_handle_each_once(
    pg_engines: list[AsyncEngine],
) -> None:
    events: list[InboundEvent] = [Text(f"t{n}", member(n), f"Вопрос {n}") for n in range(30)]
    events += [Command("c1", member(0), "help"), Receipt("r1", Sender("vk", "100001"), "5",
                                                         "read")]
    inboxes = [Inbox(engine, Dialogs(DIALOG), max_batch=7) for engine in pg_engines]
    # Every process gets every update (a platform retrying against a load balancer).
    calls = [inbox.receive(event) for event in events for inbox in inboxes]
    assert await asyncio.gather(*calls) == [None] * len(calls)
    async with pg_engines[0].connect() as conn:
        stored = (await conn.execute(select(func.count()).select_from(Inbound))).scalar_one()
        handled = (await conn.execute(select(func.count()).select_from(Inbound).where(
            Inbound.handled_at.is_not(None)))).scalar_one()
        replies = (await conn.execute(select(func.count()).select_from(Reply))).scalar_one()
    assert (stored, handled, replies) == (32, 32, 31)  # 30 thanks, 1 help, no receipt reply
    assert sum(i.handled for i in inboxes) == 32
    assert sum(i.duplicates for i in inboxes) == 2 * 32
    for inbox in inboxes:
        await inbox.close()
