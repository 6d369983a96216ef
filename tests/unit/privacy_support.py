"""A member with something stored in every table that can point at a person: joined by the
dialogue (consent), a question to the union, a tag and a card number, a leaflet sent, a
named poll vote, a role granted and used — for the export and erase tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.access.audit import record
from core.access.grants import grant
from core.access.rules import Role as AccessRole
from core.campaigns.store import NewCampaign, create_campaign
from core.ports import Text
from core.sending import runs
from core.sending.recording import FAST, RecordingChannel
from core.storage.models import Contact, Person, PersonTag
from core.storage.poll_tables import Poll, Vote
from tests.unit.test_dialogs_consent import Member, joined
from tests.unit.test_queue import drain

NAME = "Смирнова Анна Ивановна"
ACCOUNT = "7319446021"
CARD = "ПБ-59-000731"
QUESTION = "Когда будет выплата учителям школы 1-1?"
TAG = "наставник-кафедры"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class Stored:
    member: Member
    person_id: int
    contact_id: int
    campaign_id: int


async def member_with_everything(engine: AsyncEngine) -> Stored:
    member = await joined(engine, "telegram", ACCOUNT)
    contact = await member.contact()
    person_id = int(contact.person_id)
    await member.send(Text, QUESTION)
    async with engine.begin() as conn:
        await conn.execute(update(Person).where(Person.id == person_id)
                           .values(member_id=CARD, member_id_key=CARD))
        await conn.execute(insert(PersonTag).values(person_id=person_id, tag=TAG))
        await grant(conn, "telegram", ACCOUNT, AccessRole.PRESS, "cli")
        await record(conn, ACCOUNT, "chat.post", {"step": "confirm"}, channel="telegram")
        await record(conn, "cli", "admins.grant",
                     {"channel": "telegram", "external_id": ACCOUNT, "role": "press"})
        poll = (await conn.execute(insert(Poll).values(
            question="Удобна ли дата?", options=["да", "нет"], created_by=f"telegram:{ACCOUNT}",
        ).returning(Poll.id))).scalar_one()
        await conn.execute(insert(Vote).values(
            poll_id=poll, voter=f"p:{person_id}", person_id=person_id,
            contact_id=contact.id, option_ids=[0]))
    new = NewCampaign(text="**Листовка** за декабрь", created_by=f"telegram:{ACCOUNT}")
    campaign_id = await create_campaign(engine, new, {"telegram": FAST})
    started = await runs.start_run(engine, campaign_id, AT, ["telegram"])
    await runs.materialise(engine, started.run_id)
    await asyncio.wait_for(drain(engine, RecordingChannel("telegram")), 30)
    return Stored(member, person_id, int(contact.id), campaign_id)


async def contact_row(engine: AsyncEngine, contact_id: int) -> Contact:
    from sqlalchemy import select

    async with engine.connect() as conn:
        return (await conn.execute(select(Contact).where(Contact.id == contact_id))).one()  # type: ignore[return-value]
