"""A member's own /delete_me (core.inbound.erasure): the question with «Да, удалить» /
«Отмена», cancelling keeps everything, confirming erases and the goodbye still reaches the
member — their messenger id is replaced only once it is sent; a second press does nothing.
And an unsubscribe takes effect in the next claimed batch (a batch already claimed goes)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.audience import contacts
from core.ports import ButtonPress, Command
from core.sending import outbox
from core.sending.recording import RecordingChannel
from core.storage.models import Person
from tests.factories import add_members, make_union
from tests.unit.privacy_support import ACCOUNT, contact_row
from tests.unit.test_dialogs_consent import joined, payloads, text_of
from tests.unit.test_queue import drain, post

T = DIALOG.erase


async def test_delete_me_asks_then_erases_and_says_goodbye(engine: AsyncEngine) -> None:
    member = await joined(engine, "telegram", ACCOUNT)
    contact = await member.contact()
    await member.send(Command, "delete_me", "")
    assert text_of(await member.last()) == T.ask
    assert payloads(await member.last()) == ["erase:yes", "erase:no"]
    await member.send(ButtonPress, "erase:no")
    assert text_of(await member.last()) == T.cancelled
    assert (await member.contact()).status == "active"

    await member.send(Command, "удалить_мои_данные", "")
    await member.send(ButtonPress, "erase:yes")
    erased = await contact_row(engine, contact.id)
    assert erased.status == "erased" and erased.person_id is None
    assert erased.external_id == ACCOUNT  # until the goodbye is sent
    async with engine.connect() as conn:
        person = (await conn.execute(select(Person).where(Person.id == contact.person_id))).one()
    assert person.full_name == "" and person.erased_at is not None
    replies = await member.replies()
    assert [text_of(r) for r in replies] == [T.goodbye]  # what was said before is gone
    await member.send(ButtonPress, "erase:yes")  # a second press
    assert len(await member.replies()) == 1

    tg = RecordingChannel("telegram")
    await asyncio.wait_for(drain(engine, tg), 30)
    assert [(who, "".join(s.text for s in m.text)) for who, m in tg.sent] == [
        (ACCOUNT, T.goodbye)]
    assert (await contact_row(engine, contact.id)).external_id == f"erased-{contact.id}"


async def test_an_unsubscribe_stops_the_next_claimed_batch(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 10, {"tg": 1.0})
    run_id = await post(engine, ["tg"])
    first = await outbox.claim(engine, "tg", 1, 3, 60.0)
    in_flight, waiting = first[0].recipient, "100008"
    assert waiting not in {c.recipient for c in first}
    async with engine.begin() as conn:
        await contacts.mark_contacts(conn, {union.contacts[("tg", in_flight)]: "unsubscribed",
                                            union.contacts[("tg", waiting)]: "unsubscribed"})
    rest = await outbox.claim(engine, "tg", 1, 100, 60.0)
    assert waiting not in {c.recipient for c in rest}
    assert len(rest) == 10 - 3 - 1  # the claimed batch was not touched: it still goes
    assert run_id


async def test_a_newcomer_without_consent_can_delete_their_account_too(
    engine: AsyncEngine,
) -> None:
    from core.inbound.dialogs import Dialogs
    from core.inbound.inbox import Inbox
    from core.ports import Subscribed
    from tests.unit.test_dialogs_consent import Member

    await make_union(engine)
    member = Member(Inbox(engine, Dialogs(DIALOG)), engine, "vk", "55501")
    await member.send(Subscribed, None)  # asked for consent, never answered
    contact = await member.contact()
    assert contact.person_id is None
    await member.send(Command, "delete_me", "")
    await member.send(ButtonPress, "erase:yes")
    assert [text_of(r) for r in await member.replies()] == [T.goodbye]
    vk = RecordingChannel("vk")
    await asyncio.wait_for(drain(engine, vk), 30)
    assert [who for who, _ in vk.sent] == ["55501"]
    assert (await contact_row(engine, contact.id)).external_id == f"erased-{contact.id}"
