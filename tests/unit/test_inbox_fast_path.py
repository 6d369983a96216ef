"""The set-based path (Dialogs.handle_batch) leaves exactly the rows the one-event-at-a-time
path (Dialogs.handle) leaves, for a batch mixing the common events with everything else;
and its statements on plain sqlite3 write exactly the rows SQLAlchemy Core writes."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.inbound.dialogs import Dialogs
from core.inbound.dialogs_batch import plan
from core.inbound.inbox import Inbox
from core.inbound.statements import CoreStatements
from core.ports import Command, InboundEvent, Receipt, Sender, Subscribed, Text
from core.storage.engine import create_engine
from core.storage.models import Contact, Inbound, Reply
from tests.factories import add_members, make_union


def tg(n: int) -> Sender:
    return Sender("telegram", str(100000 + n), "Участник")


def vk(n: int) -> Sender:
    return Sender("vk", str(100000 + n), "Участник")


STRANGER = Sender("telegram", "999999", "Незнакомец")
STAFF_CHAT = Sender("telegram", "-100500", "Профком", is_group=True)

EVENTS: list[InboundEvent] = [
    Text("1", tg(0), "Когда индексация?"),
    Text("2", tg(1), "Спасибо за рассылку"),
    Text("3", tg(0), "И ещё вопрос"),
    Receipt("4", vk(0), "10", "delivered"),
    Receipt("5", vk(0), "11", "read", up_to=True),
    Text("6", vk(0), "Прочитала"),
    Receipt("7", vk(1), "20", "read"),
    Receipt("8", vk(1), "21", "delivered"),
    Text("9", tg(10), "Я ещё не подписана"),  # pending: the join dialogue starts
    Text("10", tg(11), "Иванова Мария Петровна"),  # in the name step
    Text("11", STRANGER, "Привет"),  # unknown: created pending
    Receipt("12", Sender("vk", "424242", ""), "10", "read"),  # unknown contact
    Command("13", tg(2), "help"),
    Text("14", tg(2), "А что умеет бот?"),  # the same member also sent a command
    Text("15", tg(3), "Последний вопрос"),
    Command("16", tg(3), "stop"),  # feedback first, then they leave
    Command("17", tg(4), "stop"),
    Text("18", tg(4), "Передумала"),  # after leaving: feedback, not a re-subscription
    Text("19", STAFF_CHAT, "Ответ участнику", author_id="7"),
    Subscribed("20", Sender("viber", "new=", "Новый"), None),
    Text("21", tg(5), "Когда будет выплата?"),  # left before: feedback, set-based
    Text("22", tg(6), "А мне ответят?"),  # blocked the bot before: the same
    Text("1", tg(0), "Когда индексация?"),  # a platform retry inside the batch
]


@pytest.fixture
async def twins(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two identical, freshly migrated databases with the same union in them."""
    source = Path(db_url.removeprefix("sqlite:///"))
    copy = tmp_path / "twin.sqlite3"
    shutil.copyfile(source, copy)
    engines = (create_engine(db_url), create_engine(f"sqlite:///{copy}"))
    for engine in engines:
        await populate(engine)
    yield engines
    for engine in engines:
        await engine.dispose()


async def populate(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 10, {"telegram": 1.0, "vk": 1.0})
    await add_members(engine, union, 2, {"telegram": 1.0}, status="pending", start=10)
    async with engine.begin() as conn:
        await conn.execute(
            update(Contact)
            .where(Contact.external_id == "100011", Contact.channel == "telegram")
            .values(dialog_state={"step": "name", "org": next(iter(union.schools.values()))})
        )
        for member, status in ((5, "unsubscribed"), (6, "blocked")):
            await conn.execute(
                update(Contact)
                .where(Contact.external_id == str(100000 + member), Contact.channel == "telegram")
                .values(status=status)
            )
        await conn.execute(text(
            "INSERT INTO campaigns (kind, title, content, audience, routing, status, created_at)"
            " VALUES ('post','t','{}','all','all','running','2026-01-01')"))
        for day in (1, 2, 3):
            await conn.execute(text(
                "INSERT INTO campaign_runs (campaign_id, scheduled_for, status, channels, "
                f"materialised_upto) VALUES (1, '2026-01-0{day}', 'sending', '[]', 0)"))
        for run, member, pmid, status in (
            (1, 0, "10", "sent"), (2, 0, "11", "sent"), (3, 0, "12", "sent"),
            (1, 1, "20", "delivered"), (2, 1, "21", "uncertain"), (1, 2, "30", "sent"),
        ):
            await conn.execute(text(
                "INSERT INTO deliveries (run_id, contact_id, channel, status, attempts, "
                "next_attempt_at, was_uncertain, platform_message_id) VALUES (:run, (SELECT id "
                "FROM contacts WHERE channel = 'vk' AND external_id = :ext), 'vk', :status, 1, "
                "0, 0, :pmid)"),
                {"run": run, "ext": str(100000 + member), "status": status, "pmid": pmid})


async def snapshot(engine: AsyncEngine) -> dict[str, list[Any]]:
    """Every row the inbound path may touch, by natural keys (surrogate ids differ)."""
    queries = {
        "inbound": "SELECT i.channel, i.platform_event_id, i.kind, i.text, i.event, "
        "i.is_feedback, c.external_id, i.handled_at IS NOT NULL FROM inbound i "
        "LEFT JOIN contacts c ON c.id = i.contact_id",
        "replies": "SELECT r.channel, c.external_id, i.platform_event_id, r.content, r.status, "
        "r.attempts, r.next_attempt_at FROM replies r JOIN contacts c ON c.id = r.contact_id "
        "LEFT JOIN inbound i ON i.id = r.inbound_id",
        "contacts": "SELECT channel, external_id, kind, status, person_id, dialog_state, "
        "display_name, last_inbound_at IS NOT NULL, subscribed_at IS NOT NULL FROM contacts",
        "deliveries": "SELECT d.id, c.external_id, d.status FROM deliveries d "
        "JOIN contacts c ON c.id = d.contact_id",
        "consents": "SELECT c.external_id, k.channel, k.action, k.source, k.text_version "
        "FROM consents k JOIN contacts c ON c.id = k.contact_id",
    }
    found: dict[str, list[Any]] = {}
    async with engine.connect() as conn:
        for table, query in queries.items():
            rows = (await conn.execute(text(query))).all()
            found[table] = sorted(tuple(map(str, row)) for row in rows)
    return found


@pytest.mark.parametrize("portable", [False, True], ids=["sqlite3", "sqlalchemy-core"])
async def test_the_set_based_path_leaves_the_same_rows_as_one_by_one(
    twins: tuple[AsyncEngine, AsyncEngine], portable: bool
) -> None:
    one_by_one, batched = twins
    slow = Inbox(one_by_one, Dialogs(DIALOG).handle)
    for event in EVENTS:
        await slow.receive(event)
    fast = Inbox(batched, Dialogs(DIALOG), portable_sql=portable)
    assert await _receive_together(fast, EVENTS) and fast.batches == 1
    assert slow.handled == fast.handled == len(EVENTS) - 1
    expected, got = await snapshot(one_by_one), await snapshot(batched)
    assert got == expected
    # The comparison covers what the set-based path writes: feedback, thanks, receipts.
    feedback = [row[1] for row in got["inbound"] if row[5] == "1"]
    assert sorted(feedback) == ["1", "14", "15", "18", "2", "21", "22", "3", "6"]
    thanks = [row[2] for row in got["replies"]
              if json.loads(row[3])["spans"][0][0] == DIALOG.feedback_thanks]
    assert sorted(thanks) == ["1", "14", "15", "2", "3", "6"]
    # Former members: heard, offered the way back, left as they were, no consent written.
    former = [(row[2], json.loads(row[3])["buttons"]) for row in got["replies"]
              if json.loads(row[3])["spans"][0][0] == DIALOG.feedback_thanks_former]
    come_back = [[{"text": DIALOG.resubscribe_button, "url": None, "payload": "resubscribe"}]]
    assert sorted(former) == [("18", come_back), ("21", come_back), ("22", come_back)]
    statuses = {row[1]: row[3] for row in got["contacts"] if row[0] == "telegram"}
    assert (statuses["100004"], statuses["100005"], statuses["100006"]) == (
        "unsubscribed", "unsubscribed", "blocked")
    assert not [row for row in got["consents"] if row[2] == "given"]
    assert [row[2] for row in got["deliveries"]] == [
        "read", "read", "sent", "read", "delivered", "sent"]
    await slow.close()
    await fast.close()


async def _receive_together(inbox: Inbox, events: list[InboundEvent]) -> bool:
    await asyncio.gather(*(inbox.receive(event) for event in events))
    return True


async def test_the_batch_splits_common_events_from_the_rest(
    twins: tuple[AsyncEngine, AsyncEngine],
) -> None:
    engine, _ = twins
    items = list(enumerate(EVENTS[:-1], start=1))
    async with engine.begin() as conn:
        split = await conn.run_sync(lambda sync: plan(CoreStatements(sync), items))
        await conn.rollback()
    assert [inbound_id for inbound_id, _ in split.feedback] == [1, 2, 3, 6, 21, 22]
    assert [receipt.event_id for _, receipt in split.receipts] == ["4", "5", "7", "8"]
    assert [event.event_id for _, event in split.slow] == [
        "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"]


# Plain sqlite3 against SQLAlchemy Core (core.inbound.statements) ------------------------------

TABLES = ("inbound", "replies", "contacts", "deliveries", "consents", "people")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def rows(path: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the inbound path touches, timestamps reduced to their
    format (the clock differs between two runs)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with sqlite3.connect(path) as db:
        for table in TABLES:
            found[table] = [
                tuple(_shape(value) for value in row)
                for row in db.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
            ]
    return found


def _shape(value: Any) -> Any:
    if isinstance(value, str) and TIMESTAMP.match(value):
        return "<timestamp>"
    return value


async def _receive(engine: AsyncEngine, portable: bool) -> Inbox:
    inbox = Inbox(engine, Dialogs(DIALOG), portable_sql=portable)
    await asyncio.gather(*(inbox.receive(event) for event in EVENTS))
    await asyncio.gather(*(inbox.receive(event) for event in EVENTS[:5]))  # retries
    await inbox.close()
    return inbox


async def test_plain_sqlite3_writes_the_rows_sqlalchemy_writes(
    twins: tuple[AsyncEngine, AsyncEngine],
) -> None:
    core_engine, sqlite_engine = twins
    core = await _receive(core_engine, portable=True)
    plain = await _receive(sqlite_engine, portable=False)
    assert (plain.handled, plain.duplicates, plain.batches) == (
        core.handled,
        core.duplicates,
        core.batches,
    )
    assert plain.duplicates == 6  # one retry inside the first batch, five in the second
    paths = [str(e.url.database) for e in twins]
    expected, got = rows(paths[0]), rows(paths[1])
    assert got == expected
    assert len(got["inbound"]) == len(EVENTS) - 1 and len(got["replies"]) > 6
    # SQLAlchemy reads back what plain sqlite3 wrote: aware datetimes, JSON documents.
    async with sqlite_engine.connect() as conn:
        inbound = (
            await conn.execute(select(Inbound.received_at, Inbound.handled_at, Inbound.event))
        ).all()
        replies = (await conn.execute(select(Reply.created_at, Reply.content))).all()
        touched = (
            await conn.execute(
                select(Contact.last_inbound_at, Contact.updated_at).where(
                    Contact.last_inbound_at.is_not(None)
                )
            )
        ).all()
    assert all(row.received_at.tzinfo and row.handled_at.tzinfo for row in inbound)
    assert all(isinstance(row.event, dict) and row.event["sender"] for row in inbound)
    assert all(row.created_at.tzinfo and row.content["spans"] for row in replies)
    assert touched and all(row.updated_at >= row.last_inbound_at for row in touched)
