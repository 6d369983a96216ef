"""Member import: the tree, people, contacts and consents it builds; encodings, delimiters
and XLSX; idempotence; updates; volume. Against a real SQLite file (tests/conftest.py)."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from core.audience.directory import add_contact, org_code, parse_org_path
from core.audience.roles import Role
from core.storage.engine import create_engine, session_factory
from core.storage.models import Consent, Contact, Organization, Person, PersonTag
from tests.unit.import_support import (
    GYMNASIUM,
    MEMBERS,
    NOW,
    REGION,
    SCHOOL,
    Sessions,
    bulk_rows,
    content,
    count,
    run_import,
    snapshot,
    write_csv,
    write_xlsx,
)


@pytest.fixture
async def other(db_url: str, tmp_path: Path) -> AsyncIterator[Sessions]:
    """A second fresh database, for what must be the same in any database."""
    fresh = make_url(db_url).database
    assert fresh is not None
    path = tmp_path / "other.sqlite3"
    shutil.copy(fresh, path)
    engine = create_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    await engine.dispose()


# --- happy paths ----------------------------------------------------------------------------

async def test_csv_builds_the_tree_people_contacts_and_import_consents(
    sessions: Sessions, tmp_path: Path
) -> None:
    report = await run_import(sessions, write_csv(tmp_path / "m.csv", MEMBERS))
    assert (report.rows_read, report.people_created, report.contacts_created) == (5, 5, 5)
    assert report.organizations_created == 5 and report.complete
    async with sessions() as session:
        orgs = {o.full_name: o for o in await session.scalars(select(Organization))}
        school, district, region = (
            orgs[SCHOOL], orgs[f"{REGION}/Ленинский район"], orgs[REGION]
        )
        assert school.tree_path == f"/{region.id}/{district.id}/{school.id}/"
        assert (region.kind, district.kind, school.kind) == ("region", "district", "primary")
        assert school.name == "МАОУ «СОШ № 12»" and school.parent_id == district.id
        assert re.fullmatch(r"p[0-9a-f]{12}", school.code)
        people = {p.full_name: p for p in await session.scalars(select(Person))}
        assert people["Петров Пётр Ильич"].roles == Role.MEMBER | Role.CHAIR
        assert people["Сидорова Мария Ивановна"].member_id is None
        assert people["Сидорова Мария Ивановна"].member_id_key == ""
        assert people["Кузнецова Ольга Сергеевна"].org_id == orgs[f"{REGION}/Свердловский район"].id
        tags = set((await session.execute(select(PersonTag.person_id, PersonTag.tag))).all())
        sidorova = people["Сидорова Мария Ивановна"].id
        assert {tag for pid, tag in tags if pid == sidorova} == {"наставник", "профком"}
        contacts = {(c.channel, c.external_id): c for c in await session.scalars(select(Contact))}
        assert set(contacts) == {
            ("telegram", "5012345678"), ("vk", "777"), ("telegram", "123456789"), ("vk", "888"),
            ("viber", "AbC123+/xyz=="),
        }
        assert {(c.status, c.subscribed_at) for c in contacts.values()} == {("active", NOW)}
        consents = (await session.scalars(select(Consent))).all()
    assert sorted(c.contact_id for c in consents) == sorted(c.id for c in contacts.values())
    assert {(c.source, c.text_version, c.action) for c in consents} == {
        ("import", "import-v1", "given")
    }


@pytest.mark.parametrize(
    ("encoding", "delimiter", "described"),
    [
        ("utf-8", ",", "CSV, UTF-8, запятая"),
        ("utf-8-sig", ",", "CSV, UTF-8, запятая"),
        ("utf-8-sig", ";", "CSV, UTF-8, точка с запятой"),
        ("cp1251", ";", "CSV, cp1251, точка с запятой"),  # Excel on a Russian Windows machine
        ("cp1251", ",", "CSV, cp1251, запятая"),
        ("utf-8", "\t", "CSV, UTF-8, табуляция"),
    ],
)
async def test_encodings_and_delimiters_read_the_same_people(
    sessions: Sessions, tmp_path: Path, encoding: str, delimiter: str, described: str
) -> None:
    path = write_csv(tmp_path / "m.csv", MEMBERS, encoding=encoding, delimiter=delimiter)
    report = await run_import(sessions, path)
    assert report.source == described
    assert report.complete and report.people_created == 5
    async with sessions() as session:
        names = set(await session.scalars(select(Person.full_name)))
        orgs = set(await session.scalars(select(Organization.full_name)))
    assert "Петров Пётр Ильич" in names and "Сидорова Мария Ивановна" in names
    assert SCHOOL in orgs and GYMNASIUM in orgs


async def test_header_names_are_case_insensitive_and_trimmed(
    sessions: Sessions, tmp_path: Path
) -> None:
    header = [" Full_Name", "ORG_PATH ", "Roles", "Telegram_ID"]
    path = write_csv(tmp_path / "m.csv", [["Иванова Анна", SCHOOL, "", "42"]], header=header)
    report = await run_import(sessions, path)
    assert report.complete and report.contacts_created == 1


async def test_xlsx_numbers_read_as_ids_and_empty_cells_as_empty(
    sessions: Sessions, tmp_path: Path
) -> None:
    report = await run_import(sessions, write_xlsx(tmp_path / "m.xlsx", MEMBERS))
    assert report.source.startswith("XLSX")
    assert report.complete and report.people_created == 5 and report.contacts_created == 5
    async with sessions() as session:
        ids = set(await session.scalars(select(Contact.external_id)))
        member_ids = set(await session.scalars(select(Person.member_id)))
    assert "5012345678" in ids and "777" in ids
    assert {"5900000001", "5900000002", "5900000004", None} == member_ids


# --- idempotence --------------------------------------------------------------------------

async def test_the_same_file_twice_changes_nothing(sessions: Sessions, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", MEMBERS)
    await run_import(sessions, path)
    before = await snapshot(sessions)
    again = await run_import(sessions, path, now=datetime(2025, 4, 1, tzinfo=UTC))
    assert await snapshot(sessions) == before
    assert (again.people_created, again.people_updated, again.people_unchanged) == (0, 0, 5)
    assert (again.contacts_created, again.contacts_linked, again.organizations_created) == (0, 0, 0)


async def test_csv_then_xlsx_of_the_same_people_changes_nothing(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "m.csv", MEMBERS, encoding="cp1251",
                                         delimiter=";"))
    before = await snapshot(sessions)
    report = await run_import(sessions, write_xlsx(tmp_path / "m.xlsx", MEMBERS))
    assert await snapshot(sessions) == before
    assert report.people_unchanged == 5 and report.contacts_created == 0


async def test_small_batches_give_the_same_result(
    sessions: Sessions, other: Sessions, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "m.csv", MEMBERS)
    await run_import(sessions, path)
    report = await run_import(other, path, batch_size=2)
    assert report.complete and report.people_created == 5
    assert await content(other) == await content(sessions)
    assert len(await content(sessions)) == 10  # a row per person × tag × contact


async def test_codes_are_the_same_in_another_database(
    sessions: Sessions, other: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    elsewhere = ["Орлова Вера", "Другая областная организация/Город/Школа", "", "", "", "", "", ""]
    # Another union first, so the same organisations get other ids there.
    await run_import(other, write_csv(tmp_path / "b.csv", [elsewhere]))
    await run_import(other, write_csv(tmp_path / "c.csv", MEMBERS), create_orgs=True)
    found: list[dict[str, tuple[str, str]]] = []
    for factory in (sessions, other):
        async with factory() as session:
            rows = await session.execute(
                select(Organization.full_name, Organization.code, Organization.tree_path)
            )
            found.append({name: (code, tree) for name, code, tree in rows})
    assert found[0][SCHOOL][1] != found[1][SCHOOL][1]
    assert {n: c for n, (c, _) in found[0].items()} == {
        n: c for n, (c, _) in found[1].items() if not n.startswith("Другая")
    }
    assert found[0][SCHOOL][0] == org_code(parse_org_path(SCHOOL))


# --- updates --------------------------------------------------------------------------------

async def test_roles_and_tags_from_the_file_replace_the_stored_ones(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    changed = [list(row) for row in MEMBERS]
    changed[0][2], changed[0][7] = "member", "наставник"
    changed[2][7] = "наставник,профком"  # the same tags in another order: no change
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", changed))
    assert (report.people_updated, report.people_unchanged) == (1, 4)
    async with sessions() as session:
        anna = await session.scalar(select(Person).where(Person.member_id == "5900000001"))
        assert anna is not None and anna.roles == Role.MEMBER
        tags = set(
            await session.scalars(select(PersonTag.tag).where(PersonTag.person_id == anna.id))
        )
    assert tags == {"наставник"}


async def test_absent_optional_columns_leave_stored_values_alone(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    before = await snapshot(sessions)
    short = [[row[0], row[1], row[6]] for row in MEMBERS]
    header = ["full_name", "org_path", "member_id"]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", short, header=header))
    assert report.people_unchanged == 5
    assert await snapshot(sessions) == before


async def test_a_nameless_match_gets_the_member_id(sessions: Sessions, tmp_path: Path) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", [MEMBERS[4]]))
    with_id = [MEMBERS[4][:6] + ["5900000005", ""]]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", with_id))
    assert (report.people_created, report.people_updated) == (0, 1)
    async with sessions() as session:
        person = (await session.scalars(select(Person))).one()
    assert (person.member_id, person.member_id_key) == ("5900000005", "5900000005")
    # Now a row without member_id still finds that person by name.
    again = await run_import(sessions, write_csv(tmp_path / "c.csv", [MEMBERS[4]]))
    assert again.people_unchanged == 1 and await count(sessions, Person) == 1


async def test_member_id_follows_a_move_to_another_school(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", [MEMBERS[0]]))
    moved = [[MEMBERS[0][0], f"{REGION}/Новый район/МАОУ «СОШ № 1»", *MEMBERS[0][2:]]]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", moved), create_orgs=True)
    assert (report.people_updated, report.organizations_created) == (1, 2)
    async with sessions() as session:
        person = (await session.scalars(select(Person))).one()
        org = await session.get(Organization, person.org_id)
    assert org is not None and org.full_name == moved[0][1]


async def test_a_pending_contact_is_linked_and_activated_once(
    sessions: Sessions, tmp_path: Path
) -> None:
    async with sessions() as session, session.begin():
        await add_contact(session, None, "telegram", "5012345678", status="pending")
    report = await run_import(sessions, write_csv(tmp_path / "m.csv", MEMBERS))
    assert (report.contacts_linked, report.contacts_created) == (1, 4)
    async with sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.external_id == "5012345678"))
        assert contact is not None and contact.status == "active" and contact.person_id
        consents = await session.scalar(
            select(func.count()).where(Consent.contact_id == contact.id)
        )
    assert consents == 1


async def test_reimport_does_not_resubscribe_an_unsubscribed_contact(
    sessions: Sessions, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "m.csv", MEMBERS)
    await run_import(sessions, path)
    async with sessions() as session, session.begin():
        await session.execute(
            update(Contact).where(Contact.external_id == "777").values(status="unsubscribed")
        )
    consents = await count(sessions, Consent)
    await run_import(sessions, path)
    async with sessions() as session:
        status = await session.scalar(select(Contact.status).where(Contact.external_id == "777"))
    assert status == "unsubscribed" and await count(sessions, Consent) == consents


async def test_several_regions_coexist(sessions: Sessions, tmp_path: Path) -> None:
    rows = [MEMBERS[0], ["Орлова Вера", "Свердловская областная организация/Город/Школа № 1",
                         "", "", "", "", "", ""]]
    report = await run_import(sessions, write_csv(tmp_path / "m.csv", rows))
    assert report.complete
    async with sessions() as session:
        regions = set(await session.scalars(
            select(Organization.name).where(Organization.parent_id.is_(None))
        ))
    assert regions == {REGION, "Свердловская областная организация"}

# --- volume -----------------------------------------------------------------------------------

async def test_ten_thousand_rows(sessions: Sessions, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", bulk_rows(10_000))
    report = await run_import(sessions, path)
    assert report.complete and report.people_created == 10_000
    assert report.contacts_created == 7_500 and report.organizations_created == 106
    assert await count(sessions, Consent) == 7_500
    assert await count(sessions, PersonTag) == 1_000
    again = await run_import(sessions, path)
    assert again.people_unchanged == 10_000 and again.contacts_created == 0
