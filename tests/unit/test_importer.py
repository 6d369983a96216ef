"""Member import: encodings, delimiters, XLSX, bad rows with their lines, idempotence and
bulk size, against a real SQLite file."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audience import add_contact, org_code, parse_org_path
from core.db import create_engine, session_factory
from core.importer import ImportFileError, ImportReport, import_members
from core.models import Consent, Contact, Organization, Person, PersonTag
from core.roles import Role
from core.schema import upgrade

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
HEADER = ["full_name", "org_path", "roles", "telegram_id", "vk_id", "viber_id", "member_id", "tags"]
REGION = "Пермская краевая организация Профсоюза образования"
SCHOOL = f"{REGION}/Ленинский район/МАОУ «СОШ № 12»"
GYMNASIUM = f"{REGION}/Свердловский район/МБОУ «Гимназия № 4»"
MEMBERS = [
    ["Иванова Анна Петровна", SCHOOL, "member,young_teacher", "5012345678", "", "", "5900000001",
     "профком"],
    ["Петров  Пётр Ильич", SCHOOL, "председатель", "", "https://vk.com/id777", "", "5900000002",
     ""],
    ["Сидорова Мария Ивановна", GYMNASIUM, "молодой педагог, член профсоюза", "123456789",
     "id888", "AbC123+/xyz==", "", "наставник, Профком"],
    ["Кузнецова Ольга Сергеевна", f"{REGION}/Свердловский район", "chair", "", "", "",
     "5900000004", ""],
    ["Нетконтактов Иван Иванович", SCHOOL, "", "", "", "", "", ""],
]


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("importer") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


async def _open(template_db: Path, path: Path) -> tuple[Any, Sessions]:
    shutil.copy(template_db, path)
    engine = create_engine(f"sqlite:///{path}")
    return engine, session_factory(engine)


@pytest.fixture
async def sessions(template_db: Path, tmp_path: Path) -> AsyncIterator[Sessions]:
    engine, factory = await _open(template_db, tmp_path / "rupor.sqlite3")
    yield factory
    await engine.dispose()


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, encoding: str = "utf-8",
    delimiter: str = ",", header: Sequence[str] = HEADER,
) -> Path:
    with path.open("w", encoding=encoding, newline="") as output:
        writer = csv.writer(output, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _excel_value(column: str, text: str) -> object:
    """What Excel stores: numbers as floats, empty cells as nothing."""
    if not text:
        return None
    if column in ("telegram_id", "vk_id", "member_id") and text.isdigit():
        return float(text)
    return text


def write_xlsx(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append([_excel_value(c, v) for c, v in zip(HEADER, row, strict=True)])
    book.save(path)
    return path


async def run_import(sessions: Sessions, path: Path, **kwargs: Any) -> ImportReport:
    kwargs.setdefault("now", NOW)
    return await import_members(sessions, path, **kwargs)


SNAPSHOT_TABLES = (Organization, Person, PersonTag, Contact, Consent)


async def snapshot(sessions: Sessions) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the audience tables, every column: "changes nothing" means equal."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with sessions() as session:
        for model in SNAPSHOT_TABLES:
            table = model.__table__
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [tuple(row) for row in rows]
    return found


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


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
        ("utf-8", ",", "CSV, UTF-8, comma"),
        ("utf-8-sig", ",", "CSV, UTF-8, comma"),
        ("utf-8-sig", ";", "CSV, UTF-8, semicolon"),
        ("cp1251", ";", "CSV, cp1251, semicolon"),  # Excel on a Russian Windows machine
        ("cp1251", ",", "CSV, cp1251, comma"),
        ("utf-8", "\t", "CSV, UTF-8, tab"),
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


async def content(sessions: Sessions) -> set[tuple[Any, ...]]:
    """The audience without database ids: who is where, with which roles, tags, contacts."""
    async with sessions() as session:
        people = await session.execute(
            select(Person.full_name, Organization.full_name, Person.member_id, Person.roles,
                   PersonTag.tag, Contact.channel, Contact.external_id, Contact.status,
                   Consent.source)
            .join(Organization, Organization.id == Person.org_id)
            .outerjoin(PersonTag, PersonTag.person_id == Person.id)
            .outerjoin(Contact, Contact.person_id == Person.id)
            .outerjoin(Consent, Consent.contact_id == Contact.id)
        )
        return {tuple(row) for row in people}


async def test_small_batches_give_the_same_result(
    sessions: Sessions, template_db: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "m.csv", MEMBERS)
    await run_import(sessions, path)
    engine, other = await _open(template_db, tmp_path / "other.sqlite3")
    try:
        report = await run_import(other, path, batch_size=2)
        assert report.complete and report.people_created == 5
        assert await content(other) == await content(sessions)
        assert len(await content(sessions)) == 10  # a row per person × tag × contact
    finally:
        await engine.dispose()


async def test_codes_are_the_same_in_another_database(
    sessions: Sessions, template_db: Path, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    engine, other = await _open(template_db, tmp_path / "other.sqlite3")
    elsewhere = ["Орлова Вера", "Другая областная организация/Город/Школа", "", "", "", "", "", ""]
    try:
        # Another union first, so the same organisations get other ids there.
        await run_import(other, write_csv(tmp_path / "b.csv", [elsewhere]))
        await run_import(other, write_csv(tmp_path / "c.csv", MEMBERS))
        found: list[dict[str, tuple[str, str]]] = []
        for factory in (sessions, other):
            async with factory() as session:
                rows = await session.execute(
                    select(Organization.full_name, Organization.code, Organization.tree_path)
                )
                found.append({name: (code, tree) for name, code, tree in rows})
    finally:
        await engine.dispose()
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
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", moved))
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


# --- bad rows and bad files ------------------------------------------------------------------

BAD_FILE = (
    "full_name,org_path,roles,telegram_id,vk_id,viber_id,member_id,tags\n"         # 1
    f"Иванова Анна,{SCHOOL},,111,,,5900000001,\n"                                # 2
    f'Петрова Мария,{SCHOOL},,,,,,"профком,\nнаставник"\n'                       # 3-4
    f"Сидоров Иван,{SCHOOL},,,abc,,,\n"                                          # 5
    f"Кузнецов Пётр,{SCHOOL},,-5,,,,\n"                                          # 6
    f"Орлова Вера,{SCHOOL},директор,,,,,\n"                                      # 7
    f"Белов Илья,{SCHOOL}/Кабинет № 5,,,,,,\n"                                   # 8
    f" ,{SCHOOL},,,,a b,,\n"                                                     # 9
    f"Иванова Анна Дубль,{SCHOOL},,,,,5900000001,\n"                             # 10
    f"Лебедева Ольга,{SCHOOL},,111,,,,\n"                                        # 11
    f"Гусева Нина,{SCHOOL},,5.01235E+09,,,,\n"                                   # 12
    f"Жуков Олег,{SCHOOL},,,https://vk.com/durov,,,\n"                           # 13
    "\n"                                                                         # 14
    f"Титова Алла,{SCHOOL},,,,,,\n"                                              # 15
    f"Марков Юрий,{SCHOOL},,,,,,,лишнее\n"                                       # 16
    f"Власов Игорь,{SCHOOL},,42,,,,\n"                                           # 17
)


async def test_bad_rows_are_rejected_whole_with_their_line_and_reason(
    sessions: Sessions, tmp_path: Path
) -> None:
    owner = [["Старый Член Профсоюза", GYMNASIUM, "", "42", "", "", "", ""]]
    await run_import(sessions, write_csv(tmp_path / "owner.csv", owner))
    path = tmp_path / "bad.csv"
    path.write_text(BAD_FILE, encoding="utf-8")
    report = await run_import(sessions, path)
    rejected = [(r.line, r.reason) for r in report.rejected]
    assert rejected[:3] == [
        (5, "vk_id 'abc' is not a number"),
        (6, "telegram_id '-5' is not a number"),
        (7, rejected[2][1]),
    ]
    assert rejected[2][1].startswith("roles: unknown role 'директор' (known: admin, chair")
    assert rejected[3:] == [
        (8, f"org_path '{SCHOOL}/Кабинет № 5' has 4 levels; at most 3 "
            "(region/district/organisation)"),
        (9, "full_name is empty; viber_id 'a b' must not contain spaces"),
        (10, "the same member as line 2 (member_id 5900000001)"),
        (11, "telegram_id 111 is also given on line 2"),
        (12, "telegram_id '5.01235E+09' is in Excel's scientific notation, its digits are lost; "
             "format the column as text or number and export again"),
        (13, "vk_id 'https://vk.com/durov' is a screen name, which cannot be resolved offline; "
             "give the numeric id (https://vk.com/id123)"),
        (16, "a value in column 9, which has no name in the header"),
        (17, "telegram_id 42 already belongs to another member (Старый Член Профсоюза)"),
    ]
    assert report.rows_read == 14  # the blank line 14 is no row
    assert report.people_created == 3 and report.rows_imported == 3
    async with sessions() as session:
        names = set(await session.scalars(select(Person.full_name)))
        rejected_contacts = await session.scalar(
            select(func.count()).where(Contact.external_id.in_(["-5", "abc", "a b"]))
        )
    assert names == {"Старый Член Профсоюза", "Иванова Анна", "Петрова Мария", "Титова Алла"}
    assert rejected_contacts == 0


async def test_vk_id_forms_and_a_float_written_as_text(sessions: Sessions, tmp_path: Path) -> None:
    rows = [
        ["А Б", SCHOOL, "", "9100000.0", "vk.com/id5", "", "", ""],
        ["В Г", SCHOOL, "", "", "https://m.vk.com/id6/", "", "", ""],
        ["Д Е", SCHOOL, "", "", "ID7", "", "", ""],
    ]
    report = await run_import(sessions, write_csv(tmp_path / "m.csv", rows))
    assert report.complete
    async with sessions() as session:
        ids = set((await session.execute(select(Contact.channel, Contact.external_id))).all())
    assert ids == {("telegram", "9100000"), ("vk", "5"), ("vk", "6"), ("vk", "7")}


async def test_a_repeated_name_without_member_id_is_one_member(
    sessions: Sessions, tmp_path: Path
) -> None:
    rows = [MEMBERS[4], MEMBERS[4]]
    report = await run_import(sessions, write_csv(tmp_path / "m.csv", rows), batch_size=1)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "the same member as line 2 (the same full name in the same organisation)")
    ]


async def test_an_erased_member_is_not_imported_again(sessions: Sessions, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEMBERS[0]])
    await run_import(sessions, path)
    async with sessions() as session, session.begin():
        await session.execute(update(Person).values(erased_at=NOW))
    report = await run_import(sessions, path)
    assert [r.line for r in report.rejected] == [2]
    assert "erased" in report.rejected[0].reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"full_name,org_path,telegramid\n", "unknown column 'telegramid'"),
        (b"full_name;roles\n", "missing required column(s) org_path"),
        (b"full_name,org_path,Full_Name\n", "column 'full_name' appears twice"),
        (b"full_name,org_path\n\x98\x98,\x81\n", "neither UTF-8 nor Windows-1251"),
        (b"full_name,org_path\nx,\x00y\n", "control characters"),
        ("full_name,org_path\n".encode("utf-16"), "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old .xls"),
        (b"PK\x03\x04broken", "cannot read the XLSX workbook"),
        (b"", "missing required column(s) full_name, org_path"),
    ],
)
async def test_unusable_files_are_refused_before_anything_is_written(
    sessions: Sessions, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        await run_import(sessions, path)
    assert message in str(caught.value)
    assert await count(sessions, Organization) == 0


async def test_a_missing_file_is_refused(sessions: Sessions, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="file not found"):
        await run_import(sessions, tmp_path / "nope.csv")


# --- volume -----------------------------------------------------------------------------------

def bulk_rows(count: int) -> list[list[str]]:
    rows = []
    for n in range(count):
        district, school = divmod(n % 100, 20)
        path = f"{REGION}/Район {district}/Школа № {school}"
        channel = n % 4  # telegram, vk, viber, none
        ids = [str(10_000_000 + n) if channel == 0 else "", str(n + 1) if channel == 1 else "",
               f"viber{n}==" if channel == 2 else ""]
        roles = "member,young_teacher" if n % 7 == 0 else "member"
        rows.append([f"Член Профсоюза {n}", path, roles, *ids, f"59{n:08d}",
                     "профком" if n % 10 == 0 else ""])
    return rows


async def test_ten_thousand_rows(sessions: Sessions, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", bulk_rows(10_000))
    report = await run_import(sessions, path)
    assert report.complete and report.people_created == 10_000
    assert report.contacts_created == 7_500 and report.organizations_created == 106
    assert await count(sessions, Consent) == 7_500
    assert await count(sessions, PersonTag) == 1_000
    again = await run_import(sessions, path)
    assert again.people_unchanged == 10_000 and again.contacts_created == 0
