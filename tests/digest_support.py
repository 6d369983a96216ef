"""A month of the union's information work for the digest tests: three staff accounts (two
of them reported, one twice with a photo and a file), two campaigns of November 2026 sent
through recording channels (and one of October that must not appear), and a poll closed
in November with votes."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.access.grants import grant
from core.access.rules import Role
from core.audience.roles import Role as MemberRole
from core.campaigns.store import NewCampaign, create_campaign
from core.digest.month import Month
from core.digest.reports import Attachment, add_report, store_file
from core.polls.closing import close_poll
from core.polls.create import create_poll
from core.polls.spec import NewPoll
from core.ports import DeliveryResult, Status
from core.sending.recording import FAST, RecordingChannel
from core.sending.runs import materialise, start_run
from core.storage.models import Campaign, Contact, Person
from core.storage.poll_tables import Vote
from tests.factories import add_members, make_union
from tests.unit.test_queue import drain

NOVEMBER = Month(2026, 11)
IN_NOVEMBER = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
STAFF = {"100000": "Иванова Анна Петровна", "100001": "Петров Борис Ильич",
         "100002": "Сидорова Вера Олеговна"}
REPORTS = (
    ("100000", "Провела семинар для председателей первичных организаций Кунгурского района.\n\n"
               "Подготовила информационный листок о новой системе оплаты труда."),
    ("100001", "Принял участие в заседании трёхсторонней комиссии по заработной плате."),
    ("100000", "Встреча с молодыми педагогами: фотографии во вложении."),
)
TITLES = ("Индексация зарплаты с января", "Летний оздоровительный лагерь для детей")
OCTOBER_TITLE = "Октябрьская рассылка о конференции"
QUESTION = "Какая дата форума молодых педагогов удобнее?"
OPTIONS = ("Десятое декабря", "Семнадцатое декабря")


def photo_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), (47, 109, 181)).save(out, "PNG")
    return out.getvalue()


@dataclass
class MonthOfWork:
    campaigns: dict[str, int] = field(default_factory=dict)  # title -> id
    poll_id: int = 0
    reached: dict[str, int] = field(default_factory=dict)  # title -> people reached


async def make_month(engine: AsyncEngine) -> MonthOfWork:
    union = await make_union(engine)
    await add_members(engine, union, 40, {"telegram": 1.0, "vk": 0.5},
                      roles=int(MemberRole.MEMBER | MemberRole.YOUNG_TEACHER))
    async with engine.begin() as conn:
        for account, name in STAFF.items():
            person = (await conn.execute(
                Contact.__table__.select().where(Contact.external_id == account,
                                                 Contact.channel == "telegram"))).one()
            await conn.execute(update(Person).where(Person.id == person.person_id)
                               .values(full_name=name))
            await grant(conn, "telegram", account, Role.STAFF, "cli")
    await _reports(engine)
    work = MonthOfWork()
    await _campaigns(engine, work)
    return work


async def _reports(engine: AsyncEngine) -> None:
    photo = await store_file(engine, "встреча.png", "image/png", photo_png())
    plan = await store_file(engine, "план работы.docx", "application/vnd.openxmlformats-"
                            "officedocument.wordprocessingml.document", b"PK\x03\x04 plan")
    async with engine.begin() as conn:
        for index, (account, text) in enumerate(REPORTS):
            files: tuple[Attachment, ...] = (photo, plan) if index == 2 else ()
            await add_report(conn, "telegram", account, NOVEMBER, text, files)


def _blocks_some(recipient: str, attempt: int) -> DeliveryResult | None:
    if int(recipient) % 4 == 1:
        return DeliveryResult(recipient, Status.BLOCKED, error="blocked")
    return None


async def _campaigns(engine: AsyncEngine, work: MonthOfWork) -> None:
    caps = {"telegram": FAST, "vk": FAST}
    for title, created in ((TITLES[0], IN_NOVEMBER), (TITLES[1], IN_NOVEMBER + timedelta(days=5)),
                           (OCTOBER_TITLE, datetime(2026, 10, 20, 9, tzinfo=UTC))):
        new = NewCampaign(f"{title}: подробности", title=title)
        campaign_id = await create_campaign(engine, new, caps)
        run = await start_run(engine, campaign_id, created, list(caps))
        await materialise(engine, run.run_id)
        async with engine.begin() as conn:
            await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                               .values(created_at=created))
        work.campaigns[title] = campaign_id
    new = NewPoll(QUESTION, OPTIONS, IN_NOVEMBER + timedelta(days=3))
    created_poll = await create_poll(engine, new, list(caps), IN_NOVEMBER)
    work.poll_id = created_poll.poll_id
    await drain(engine, RecordingChannel("telegram", script=_blocks_some),
                RecordingChannel("vk", replace(FAST), script=_blocks_some))
    await _votes(engine, work.poll_id)
    await close_poll(engine, work.poll_id, "cli", IN_NOVEMBER + timedelta(days=3))


async def _votes(engine: AsyncEngine, poll_id: int) -> None:
    async with engine.begin() as conn:
        people = (await conn.execute(Person.__table__.select().limit(5))).all()
        for index, person in enumerate(people):
            await conn.execute(insert(Vote).values(
                poll_id=poll_id, voter=f"p:{person.id}", person_id=person.id,
                option_ids=[0 if index < 3 else 1]))
