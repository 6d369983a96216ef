"""Member dialogues through the inbox on a real SQLite file: join, leave, link, feedback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.audience.roles import Role
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import (
    ButtonPress,
    Command,
    Receipt,
    Sender,
    Subscribed,
    Text,
    Unsubscribed,
)
from core.storage.models import Consent, Contact, Inbound, Organization, Person, Reply
from tests.factories import Union, add_members, make_union


class Member:
    """Acts as one member on one messenger, numbering events like a platform would."""

    counter = 0

    def __init__(self, inbox: Inbox, engine: AsyncEngine, channel: str, external_id: str):
        self.inbox, self.engine = inbox, engine
        self.sender = Sender(channel, external_id, "Мария")

    def _id(self) -> str:
        Member.counter += 1
        return f"e{Member.counter}"

    async def start(self, invite: str | None = None) -> None:
        await self.inbox.receive(Subscribed(self._id(), self.sender, invite))

    async def press(self, payload: str) -> None:
        await self.inbox.receive(ButtonPress(self._id(), self.sender, payload))

    async def say(self, text: str) -> None:
        await self.inbox.receive(Text(self._id(), self.sender, text))

    async def command(self, name: str, args: str = "") -> None:
        await self.inbox.receive(Command(self._id(), self.sender, name, args))

    async def replies(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(Reply.content)
                .join(Contact, Contact.id == Reply.contact_id)
                .where(
                    Contact.external_id == self.sender.external_id,
                    Contact.channel == self.sender.channel,
                )
                .order_by(Reply.id)
            )
            return [r for (r,) in rows.all()]

    async def last_text(self) -> str:
        return "".join(span[0] for span in (await self.replies())[-1]["spans"])

    async def last_payloads(self) -> list[str]:
        rows = (await self.replies())[-1]["buttons"]
        return [b["payload"] for row in rows for b in row]

    async def contact(self) -> Any:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(
                    select(Contact).where(
                        Contact.external_id == self.sender.external_id,
                        Contact.channel == self.sender.channel,
                    )
                )
            ).one()


async def setup(engine: AsyncEngine) -> tuple[Inbox, Union]:
    union = await make_union(engine)
    return Inbox(engine, Dialogs(DIALOG).handle), union


async def code_of(engine: AsyncEngine, org_id: int) -> str:
    async with engine.connect() as conn:
        return str(
            (
                await conn.execute(select(Organization.code).where(Organization.id == org_id))
            ).scalar_one()
        )


async def test_joining_by_invite_link_with_consent_as_its_own_step(engine: AsyncEngine) -> None:
    inbox, union = await setup(engine)
    school = union.schools["Школа 2-1"]
    maria = Member(inbox, engine, "telegram", "501")
    await maria.start(await code_of(engine, school))
    assert "согласие" in await maria.last_text()
    assert (await maria.contact()).status == "pending"  # no campaign until consent
    await maria.press("consent:yes")
    assert "Школа 2-1" in await maria.last_text()
    await maria.say("Иванова  Мария Петровна")
    assert await maria.last_payloads() == ["young:yes", "young:no"]
    await maria.press("young:yes")
    contact = await maria.contact()
    assert contact.status == "active" and contact.person_id is not None
    async with engine.connect() as conn:
        person = (await conn.execute(select(Person).where(Person.id == contact.person_id))).one()
        consents = (await conn.execute(select(Consent.source, Consent.text_version))).all()
    assert person.full_name == "Иванова Мария Петровна" and person.org_id == school
    assert person.roles & Role.YOUNG_TEACHER
    assert consents == [("dialog", DIALOG.consent_version)]
    assert await maria.last_payloads() == ["stop"]


async def test_choosing_district_then_school_with_pages(engine: AsyncEngine) -> None:
    inbox, union = await setup(engine)
    ivan = Member(inbox, engine, "vk", "77")
    await ivan.start()
    await ivan.press("consent:yes")
    districts = await ivan.last_payloads()
    assert len(districts) == 3 and all(p.startswith("district:") for p in districts)
    await ivan.press(districts[2])
    schools = await ivan.last_payloads()
    assert schools[-1] == "dpage:0" and len(schools) == 4
    await ivan.press(schools[0])
    await ivan.say("Петров Иван Сергеевич")
    await ivan.press("young:no")
    assert (await ivan.contact()).status == "active"


async def test_a_declined_consent_leaves_the_member_pending(engine: AsyncEngine) -> None:
    inbox, _ = await setup(engine)
    member = Member(inbox, engine, "viber", "abc=")
    await member.start()
    await member.press("consent:no")
    assert (await member.contact()).status == "pending"
    await member.say("Иванов Иван Иванович")  # not a name step: asks for consent again
    assert "согласие" in await member.last_text()


async def test_an_imported_member_joining_is_linked_not_duplicated(engine: AsyncEngine) -> None:
    inbox, union = await setup(engine)
    (person_id,) = await add_members(engine, union, 1, {})
    name = "Егорова Алёна Викторовна"
    async with engine.begin() as conn:
        await conn.execute(update(Person).where(Person.id == person_id).values(full_name=name))
        org = (await conn.execute(select(Person.org_id).where(Person.id == person_id))).scalar_one()
    member = Member(inbox, engine, "telegram", "900")
    await member.start(await code_of(engine, org))
    await member.press("consent:yes")
    await member.say(name.upper().replace("Ё", "Е"))
    await member.press("young:no")
    assert (await member.contact()).person_id == person_id


async def test_stop_takes_effect_and_resubscribe_brings_back(engine: AsyncEngine) -> None:
    inbox, union = await setup(engine)
    member = Member(inbox, engine, "telegram", "42")
    await member.start(await code_of(engine, union.schools["Школа 1-1"]))
    await member.press("consent:yes")
    await member.say("Смирнова Анна Ивановна")
    await member.press("young:no")
    await member.command("stop")
    assert (await member.contact()).status == "unsubscribed"
    assert await member.last_payloads() == ["resubscribe"]
    await member.press("resubscribe")
    assert (await member.contact()).status == "active"
    assert await member.last_text() == DIALOG.resubscribed
    await inbox.receive(Unsubscribed("blk1", member.sender, "blocked"))
    assert (await member.contact()).status == "blocked"


async def test_linking_a_second_messenger_makes_one_person(engine: AsyncEngine) -> None:
    inbox, union = await setup(engine)
    tg = Member(inbox, engine, "telegram", "11")
    await tg.start(await code_of(engine, union.schools["Школа 3-3"]))
    await tg.press("consent:yes")
    await tg.say("Кузнецова Ольга Николаевна")
    await tg.press("young:no")
    await tg.command("link")
    code = (await tg.last_text()).split("код: ")[1][:6]
    vk = Member(inbox, engine, "vk", "22")
    await vk.command("link", "000000")
    assert await vk.last_text() == DIALOG.link_bad
    await vk.command("link", code)
    assert await vk.last_text() == DIALOG.link_done
    assert (await vk.contact()).person_id == (await tg.contact()).person_id
    assert (await vk.contact()).status == "active"
    other = Member(inbox, engine, "viber", "33")
    await other.command("link", code)  # used once only
    assert await other.last_text() == DIALOG.link_bad


async def test_member_messages_go_to_the_feedback_inbox(engine: AsyncEngine) -> None:
    inbox, union = await setup(engine)
    member = Member(inbox, engine, "telegram", "5")
    await member.start(await code_of(engine, union.schools["Школа 1-2"]))
    await member.press("consent:yes")
    await member.say("Сидоров Павел Андреевич")
    await member.press("young:no")
    await member.say("Когда будет индексация зарплаты?")
    assert await member.last_text() == DIALOG.feedback_thanks
    async with engine.connect() as conn:
        inbox_rows = (
            (await conn.execute(select(Inbound.text).where(Inbound.is_feedback))).scalars().all()
        )
    assert inbox_rows == ["Когда будет индексация зарплаты?"]


async def test_duplicate_events_change_nothing(engine: AsyncEngine) -> None:
    inbox, _ = await setup(engine)
    sender = Sender("telegram", "8", "")
    await inbox.receive(Subscribed("same", sender, None))
    await inbox.receive(Subscribed("same", sender, None))
    async with engine.connect() as conn:
        replies = (await conn.execute(select(Reply.id))).all()
    assert len(replies) == 1 and inbox.duplicates == 1


async def test_stored_but_unhandled_updates_are_handled_at_start(engine: AsyncEngine) -> None:
    class Crash(Exception):
        pass

    async def broken(*_: Any) -> None:
        raise Crash

    first = Inbox(engine, broken)
    await first.receive(Subscribed("u1", Sender("telegram", "9", ""), None))
    second = Inbox(engine, Dialogs(DIALOG).handle)
    assert await second.handle_stored() == 1
    assert await second.handle_stored() == 0
    async with engine.connect() as conn:
        assert len((await conn.execute(select(Reply.id))).all()) == 1


async def test_receipts_move_deliveries_forward_only(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    inbox, union = await setup(engine)
    await add_members(engine, union, 1, {"vk": 1.0})
    cid = union.contacts[("vk", "100000")]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO campaigns (kind, title, content, audience, routing, "
                "status, created_at) VALUES ('post','t','{}','all','all','running',"
                "'2026-01-01')"
            )
        )
        for n, pmid in enumerate(("10", "11", "12"), start=1):
            await conn.execute(
                text(
                    "INSERT INTO campaign_runs (campaign_id, scheduled_for, status, channels, "
                    f"materialised_upto) VALUES (1, '2026-01-0{n}', 'sending', '[]', 0)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO deliveries (run_id, contact_id, channel, status, attempts, "
                    "next_attempt_at, was_uncertain, platform_message_id) "
                    f"VALUES ({n}, :c, 'vk', 'sent', 1, 0, 0, '{pmid}')"
                ),
                {"c": cid},
            )
    sender = Sender("vk", "100000", "")
    await inbox.receive(Receipt("r1", sender, "11", "read", up_to=True))
    async with engine.connect() as conn:
        statuses = (
            await conn.execute(
                text("SELECT platform_message_id, status FROM deliveries ORDER BY id")
            )
        ).all()
    assert statuses == [("10", "read"), ("11", "read"), ("12", "sent")]


async def test_a_platform_retry_handles_an_update_whose_handling_failed(
    engine: AsyncEngine,
) -> None:
    dialogs = Dialogs(DIALOG)
    failures = [RuntimeError("the database went away mid-way")]

    async def flaky(conn: Any, event: Any, inbound_id: int) -> None:
        if failures:
            raise failures.pop()
        await dialogs.handle(conn, event, inbound_id)

    inbox = Inbox(engine, flaky)
    start = Subscribed("retry-1", Sender("telegram", "77", ""), None)
    await inbox.receive(start)
    async with engine.connect() as conn:
        assert (await conn.execute(select(Reply.id))).all() == []
    await inbox.receive(start)  # the platform sends it again
    await inbox.receive(start)  # and again: handled once only
    async with engine.connect() as conn:
        assert len((await conn.execute(select(Reply.id))).all()) == 1
        handled = (await conn.execute(select(Inbound.handled_at))).scalars().all()
    assert len(handled) == 1 and handled[0] is not None
