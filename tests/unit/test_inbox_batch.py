"""The inbox's group commit on a real SQLite file: concurrent updates share a transaction,
each is handled once, duplicates change nothing, failures stay with their own update."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bots.texts import DIALOG
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox, InboxClosed
from core.ports import InboundEvent, Sender, Subscribed, Text
from core.storage.models import Inbound, Reply
from tests.factories import add_members, make_union


async def members(engine: AsyncEngine, count: int) -> list[Sender]:
    """`count` active Telegram members."""
    union = await make_union(engine)
    await add_members(engine, union, count, {"telegram": 1.0})
    return [Sender("telegram", str(100000 + n), "Участник") for n in range(count)]


def texts(senders: list[Sender], prefix: str = "t") -> list[Text]:
    return [Text(f"{prefix}{n}", s, f"Вопрос {n}") for n, s in enumerate(senders)]


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        async def count(query: Any) -> int:
            return int((await conn.execute(query)).scalar_one())

        return {
            "stored": await count(select(func.count()).select_from(Inbound)),
            "handled": await count(
                select(func.count()).select_from(Inbound).where(Inbound.handled_at.is_not(None))
            ),
            "feedback": await count(
                select(func.count()).select_from(Inbound).where(Inbound.is_feedback.is_(True))
            ),
            "replies": await count(select(func.count()).select_from(Reply)),
        }


async def receive_all(inbox: Inbox, events: Sequence[InboundEvent]) -> list[Any]:
    return list(await asyncio.gather(*(inbox.receive(e) for e in events),
                                     return_exceptions=True))


async def test_concurrent_updates_share_transactions_and_are_each_handled_once(
    engine: AsyncEngine,
) -> None:
    senders = await members(engine, 120)
    inbox = Inbox(engine, Dialogs(DIALOG), max_batch=50)
    assert await receive_all(inbox, texts(senders)) == [None] * 120
    assert await counts(engine) == {"stored": 120, "handled": 120, "feedback": 120,
                                    "replies": 120}
    assert inbox.handled == 120 and inbox.duplicates == 0
    assert inbox.batches == 3  # 50 + 50 + 20: everything pending, capped
    await inbox.close()


async def test_duplicates_within_and_across_batches_change_nothing(engine: AsyncEngine) -> None:
    senders = await members(engine, 5)
    inbox = Inbox(engine, Dialogs(DIALOG))
    events = texts(senders)
    assert await receive_all(inbox, [*events, events[0], events[0]]) == [None] * 7
    assert await receive_all(inbox, [events[1], events[2]]) == [None] * 2  # a platform retry
    assert await counts(engine) == {"stored": 5, "handled": 5, "feedback": 5, "replies": 5}
    assert inbox.duplicates == 4 and inbox.handled == 5
    await inbox.close()


async def reject_replies_to(engine: AsyncEngine, external_id: str) -> None:
    """A real database failure inside one member's handling (the reply cannot be queued)."""
    async with engine.begin() as conn:
        await conn.execute(text(
            "CREATE TRIGGER no_reply BEFORE INSERT ON replies WHEN NEW.contact_id = "
            f"(SELECT id FROM contacts WHERE external_id = '{external_id}') "
            "BEGIN SELECT RAISE(ABORT, 'replies refused'); END"))


async def test_a_failing_handler_loses_no_other_update(engine: AsyncEngine) -> None:
    senders = await members(engine, 10)
    await reject_replies_to(engine, "100003")
    inbox = Inbox(engine, Dialogs(DIALOG))
    assert await receive_all(inbox, texts(senders)) == [None] * 10  # all stored: all 200
    assert await counts(engine) == {"stored": 10, "handled": 9, "feedback": 9, "replies": 9}
    async with engine.connect() as conn:
        left = (await conn.execute(
            select(Inbound.platform_event_id).where(Inbound.handled_at.is_(None)))).all()
    assert left == [("t3",)]
    async with engine.begin() as conn:
        await conn.execute(text("DROP TRIGGER no_reply"))
    assert await Inbox(engine, Dialogs(DIALOG)).handle_stored() == 1
    assert await counts(engine) == {"stored": 10, "handled": 10, "feedback": 10, "replies": 10}
    await inbox.close()


async def test_a_retry_of_an_unhandled_update_is_handled_exactly_once(
    engine: AsyncEngine,
) -> None:
    senders = await members(engine, 3)
    await reject_replies_to(engine, "100001")
    inbox = Inbox(engine, Dialogs(DIALOG))
    events = texts(senders)
    await receive_all(inbox, events)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TRIGGER no_reply"))
    # The platform retries it three times at once, beside a new update.
    fresh = Text("new", senders[0], "Ещё вопрос")
    assert await receive_all(inbox, [events[1], events[1], fresh, events[1]]) == [None] * 4
    assert await counts(engine) == {"stored": 4, "handled": 4, "feedback": 4, "replies": 4}
    await inbox.close()


async def test_an_update_that_cannot_be_stored_fails_only_its_own_caller(
    engine: AsyncEngine,
) -> None:
    senders = await members(engine, 6)
    async with engine.begin() as conn:
        await conn.execute(text(
            "CREATE TRIGGER poison BEFORE INSERT ON inbound WHEN NEW.platform_event_id = 't2' "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"))
    inbox = Inbox(engine, Dialogs(DIALOG))
    results = await receive_all(inbox, texts(senders))
    assert [r is None for r in results] == [True, True, False, True, True, True]
    assert "disk says no" in str(results[2])
    assert await counts(engine) == {"stored": 5, "handled": 5, "feedback": 5, "replies": 5}
    await inbox.close()


async def test_close_finishes_accepted_updates_and_refuses_new_ones(engine: AsyncEngine) -> None:
    senders = await members(engine, 40)
    inbox = Inbox(engine, Dialogs(DIALOG), max_batch=8)
    accepted = [asyncio.create_task(inbox.receive(e)) for e in texts(senders)]
    await asyncio.sleep(0)  # every receive has queued its update
    await inbox.close()
    assert all(task.done() and task.exception() is None for task in accepted)
    assert await counts(engine) == {"stored": 40, "handled": 40, "feedback": 40, "replies": 40}
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "inbox-writer"]
    with pytest.raises(InboxClosed):
        await inbox.receive(Text("late", senders[0], "Поздно"))


async def test_a_caller_that_gives_up_does_not_stop_the_others(engine: AsyncEngine) -> None:
    senders = await members(engine, 4)
    inbox = Inbox(engine, Dialogs(DIALOG))
    events = texts(senders)
    tasks = [asyncio.create_task(inbox.receive(e)) for e in events]
    await asyncio.sleep(0)
    tasks[1].cancel()  # the platform hung up; its update is still stored and handled
    await asyncio.gather(*tasks, return_exceptions=True)
    assert all(t.exception() is None for t in tasks if not t.cancelled())
    assert await counts(engine) == {"stored": 4, "handled": 4, "feedback": 4, "replies": 4}
    await inbox.close()


async def test_a_single_event_handler_still_works_batched(engine: AsyncEngine) -> None:
    dialogs = Dialogs(DIALOG)
    seen: list[str] = []

    async def handler(conn: AsyncConnection, event: InboundEvent, inbound_id: int) -> None:
        seen.append(event.event_id)
        await dialogs.handle(conn, event, inbound_id)

    inbox = Inbox(engine, handler)
    starts = [Subscribed(f"s{n}", Sender("vk", str(n), ""), None) for n in range(5)]
    assert await receive_all(inbox, starts) == [None] * 5
    assert seen == ["s0", "s1", "s2", "s3", "s4"] and inbox.batches == 1
    assert (await counts(engine))["replies"] == 5
    await inbox.close()


async def test_updates_stored_but_unhandled_are_handled_at_start_in_batches(
    engine: AsyncEngine,
) -> None:
    senders = await members(engine, 12)

    async def broken(conn: AsyncConnection, event: InboundEvent, inbound_id: int) -> None:
        raise RuntimeError("crash")

    first = Inbox(engine, broken)
    await receive_all(first, texts(senders))
    await first.close()
    assert await counts(engine) == {"stored": 12, "handled": 0, "feedback": 0, "replies": 0}
    second = Inbox(engine, Dialogs(DIALOG), max_batch=5)
    assert await second.handle_stored() == 12
    assert await second.handle_stored() == 0
    assert await counts(engine) == {"stored": 12, "handled": 12, "feedback": 12, "replies": 12}


def test_stored_events_read_back_as_they_were_and_as_asdict_wrote_them() -> None:
    import dataclasses
    import json

    from core.inbound.inbox import event_from_json, event_to_json
    from core.ports import ButtonPress, Command, PollAnswer, Receipt, Unsubscribed

    sender = Sender("vk", "5", "Мария", is_group=False)
    events: list[InboundEvent] = [
        Subscribed("1", sender, "ORG1"), Unsubscribed("2", sender, "blocked"),
        Text("3", sender, "Вопрос", reply_to="9", author_id="7"), Command("4", sender, "link", "1"),
        ButtonPress("5", sender, "stop", "10", "cb"), PollAnswer("6", sender, "p", (0, 2)),
        Receipt("7", sender, "11", "read", up_to=True),
    ]
    for event in events:
        stored = event_to_json(event)
        assert event_from_json(json.loads(json.dumps(stored))) == event
        earlier = {**dataclasses.asdict(event), "type": type(event).__name__}
        assert json.dumps(stored, sort_keys=True) == json.dumps(earlier, sort_keys=True)


async def test_a_handler_interrupted_mid_way_fails_only_its_own_caller(
    engine: AsyncEngine,
) -> None:
    """A CancelledError inside a handler (a kill between storing and acknowledging, as the
    e2e tests simulate it) reaches that update's caller alone; the update stays stored."""
    dialogs = Dialogs(DIALOG)

    async def killed_on_s2(conn: AsyncConnection, event: InboundEvent, inbound_id: int) -> None:
        await dialogs.handle(conn, event, inbound_id)
        if event.event_id == "s2":
            raise asyncio.CancelledError("killed")

    inbox = Inbox(engine, killed_on_s2)
    starts = [Subscribed(f"s{n}", Sender("vk", str(n), ""), None) for n in range(4)]
    results = await receive_all(inbox, starts)
    assert [type(r).__name__ for r in results] == ["NoneType", "NoneType", "CancelledError",
                                                   "NoneType"]
    assert await counts(engine) == {"stored": 4, "handled": 3, "feedback": 0, "replies": 3}
    assert await Inbox(engine, dialogs).handle_stored() == 1
    assert (await counts(engine))["replies"] == 4
    await inbox.close()
