"""Segment expressions: parsing (errors in Russian) and the set-based people query on a tree
of one region, three districts and ten schools, in a real SQLite file (tests/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audience.directory import OrgRef, add_contact, add_person, ensure_organization
from core.audience.roles import Role
from core.audience.segments import (
    Segment,
    SegmentError,
    count_segment,
    parse_segment,
    resolve_segment,
    segment_people,
)
from core.storage.models import Person, PersonTag, utcnow

REGION = "Пермская краевая организация"
DISTRICTS = {
    "Ленинский район": ["МАОУ «СОШ № 9»", "МАОУ «Гимназия № 3»", "МАОУ «Лицей № 10»",
                        "МАДОУ «Детский сад № 5»"],
    "Свердловский район": ["МАОУ «СОШ № 12»", "МБОУ «Гимназия № 4»", "МАОУ «СОШ № 77»"],
    "Кунгурский муниципальный округ": ["МБОУ «Ергачинская СОШ»", "МБОУ «Голдыревская ООШ»",
                                       "МАОУ «Моховская СОШ»"],
}
LENINSKY = f"{REGION}/Ленинский район"


# --- parsing -----------------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["all", "ALL", "все", "  all  "])
def test_all_is_everybody(expr: str) -> None:
    segment = parse_segment(expr)
    assert segment.is_all
    assert str(segment) == "all"


def test_terms_of_every_kind_with_quotes() -> None:
    segment = parse_segment(
        f'org:"{LENINSKY}" role:young_teacher role:chair tag:Наставник channel:telegram'
    )
    assert segment.orgs == (LENINSKY,)
    assert segment.roles == Role.YOUNG_TEACHER | Role.CHAIR
    assert segment.tags == ("наставник",)
    assert segment.channels == ("telegram",)


def test_quotes_around_the_whole_term_and_single_quotes() -> None:
    assert parse_segment(f'"org:{LENINSKY}"').orgs == (LENINSKY,)
    assert parse_segment(f"org:'{LENINSKY}'").orgs == (LENINSKY,)


@pytest.mark.parametrize(
    ("expr", "roles"),
    [
        ('role:"молодой педагог"', Role.YOUNG_TEACHER),
        ("role:молодой_педагог", Role.YOUNG_TEACHER),
        ("роль:Председатель", Role.CHAIR),
        ('role:"пресс-служба" role:staff', Role.PRESS | Role.STAFF),
        ("role:YOUNG_TEACHER", Role.YOUNG_TEACHER),
    ],
)
def test_role_names_in_english_and_russian(expr: str, roles: Role) -> None:
    assert parse_segment(expr).roles == roles


def test_russian_kind_names_and_all_next_to_terms() -> None:
    segment = parse_segment("all тег:профком канал:VK орг:p0123456789ab")
    assert segment.tags == ("профком",)
    assert segment.channels == ("vk",)
    assert segment.orgs == ("p0123456789ab",)


def test_canonical_text_parses_back_to_the_same_segment() -> None:
    segment = parse_segment(f'org:"{LENINSKY}" role:chair tag:"совет молодых педагогов"')
    assert parse_segment(str(segment)) == segment


CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("", "all"),
        ("   ", "Не указано"),
        ('org:"Пермская краевая', "кавычк"),
        ("org:Пермская краевая организация", "кавычки"),
        ("group:teachers", "Неизвестный вид условия «group:»"),
        ("role:", "После «role:» нет значения"),
        ("role:директор", "Неизвестная роль «директор»"),
        ("channel:телеграм", "латиницей"),
        ("teachers", "Не понимаю «teachers»"),
    ],
)
def test_bad_input_says_in_russian_what_to_type(expr: str, says: str) -> None:
    with pytest.raises(SegmentError) as caught:
        parse_segment(expr)
    message = str(caught.value)
    assert says in message
    assert CYRILLIC.search(message)


def test_unknown_role_lists_the_known_ones() -> None:
    with pytest.raises(SegmentError, match="young_teacher \\(молодой педагог\\)"):
        parse_segment("role:директор")


# --- the tree ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    id: int
    district: str
    school: str | None
    roles: int
    tags: frozenset[str]
    active: frozenset[str]  # channels with an active contact
    erased: bool = False


@dataclass
class Tree:
    sessions: async_sessionmaker[AsyncSession]
    members: list[Member]
    orgs: dict[str, OrgRef]

    def ids(self, keep: Callable[[Member], bool]) -> set[int]:
        return {m.id for m in self.members if not m.erased and keep(m)}


async def _school_members(
    session: AsyncSession, org: OrgRef, district: str, school: str, number: int
) -> list[Member]:
    """Three people per school: a chair on Telegram, a teacher, a young teacher."""
    found = []
    chair = await add_person(session, f"Председатель {number}", org, roles=Role.CHAIR,
                             tags=["Профком"])
    await add_contact(session, chair, "telegram", f"10{number}")
    found.append(Member(chair.id, district, school, Role.MEMBER | Role.CHAIR,
                        frozenset({"профком"}), frozenset({"telegram"})))
    teacher = await add_person(session, f"Учитель {number}", org)
    active = frozenset({"vk"}) if number % 2 == 0 else frozenset()
    if active:
        await add_contact(session, teacher, "vk", f"20{number}")
    found.append(Member(teacher.id, district, school, Role.MEMBER, frozenset(), active))
    young_tags = frozenset({"наставник"}) if number % 3 == 0 else frozenset()
    young = await add_person(session, f"Молодой педагог {number}", org,
                             roles=Role.YOUNG_TEACHER, tags=young_tags)
    # A blocked Telegram contact does not make anyone reachable there.
    await add_contact(session, young, "telegram", f"30{number}", status="blocked")
    active = frozenset({"viber"}) if number % 2 == 1 else frozenset()
    if active:
        await add_contact(session, young, "viber", f"viber-{number}")
    found.append(Member(young.id, district, school, Role.MEMBER | Role.YOUNG_TEACHER,
                        young_tags, active))
    return found


async def _build(session: AsyncSession) -> tuple[list[Member], dict[str, OrgRef]]:
    members: list[Member] = []
    orgs: dict[str, OrgRef] = {}
    number = 0
    for district, schools in DISTRICTS.items():
        for school in schools:
            number += 1
            path = f"{REGION}/{district}/{school}"
            orgs[path] = await ensure_organization(session, path)
            members += await _school_members(session, orgs[path], district, school, number)
    orgs[LENINSKY] = await ensure_organization(session, LENINSKY)
    head = await add_person(session, "Председатель района", orgs[LENINSKY], roles=Role.CHAIR)
    members.append(Member(head.id, "Ленинский район", None, Role.MEMBER | Role.CHAIR,
                          frozenset(), frozenset()))
    gone = await add_person(session, "Удалённый Молодой", orgs[f"{LENINSKY}/МАОУ «СОШ № 9»"],
                            roles=Role.YOUNG_TEACHER, tags=["наставник"])
    await add_contact(session, gone, "telegram", "999")
    await session.execute(update(Person).where(Person.id == gone.id).values(erased_at=utcnow()))
    members.append(Member(gone.id, "Ленинский район", "МАОУ «СОШ № 9»",
                          Role.MEMBER | Role.YOUNG_TEACHER, frozenset({"наставник"}),
                          frozenset({"telegram"}), erased=True))
    return members, orgs


@pytest.fixture
async def tree(sessions: async_sessionmaker[AsyncSession]) -> Tree:
    """The tree in a fresh, migrated SQLite file (tests/conftest.py)."""
    async with sessions() as session, session.begin():
        members, orgs = await _build(session)
    return Tree(sessions, members, orgs)


async def _select(tree: Tree, expr: str, known_channels: list[str] | None = None) -> set[int]:
    async with tree.sessions() as session:
        segment = parse_segment(expr)
        resolved = await resolve_segment(session, segment, known_channels=known_channels)
        return set(await session.scalars(segment_people(resolved)))


async def test_the_tree_has_one_region_three_districts_ten_schools(tree: Tree) -> None:
    depths = sorted(org.depth for org in tree.orgs.values())
    assert depths.count(3) == 10
    region_ids = {org.tree_path.split("/")[1] for org in tree.orgs.values()}
    assert len(region_ids) == 1
    assert len({org.tree_path.split("/")[2] for org in tree.orgs.values()}) == 3


async def test_all_selects_every_living_member(tree: Tree) -> None:
    found = await _select(tree, "all")
    assert found == tree.ids(lambda m: True)
    assert len(found) == 31  # 10 schools x 3 + the district chair; the erased one is not


async def test_org_subtree_by_full_path(tree: Tree) -> None:
    found = await _select(tree, f'org:"{LENINSKY}"')
    assert found == tree.ids(lambda m: m.district == "Ленинский район")
    assert len(found) == 13


async def test_org_by_code_and_path_spacing_is_normalised(tree: Tree) -> None:
    school = tree.orgs[f"{REGION}/Свердловский район/МАОУ «СОШ № 12»"]
    by_code = await _select(tree, f"org:{school.code}")
    by_path = await _select(tree, f"org:'{REGION} / Свердловский  район /МАОУ «СОШ № 12»'")
    assert by_code == by_path == tree.ids(lambda m: m.school == "МАОУ «СОШ № 12»")
    assert len(by_code) == 3


async def test_org_terms_are_or_ed_and_a_region_covers_everyone(tree: Tree) -> None:
    two = await _select(
        tree, f'org:"{LENINSKY}" org:"{REGION}/Кунгурский муниципальный округ"'
    )
    assert two == tree.ids(lambda m: m.district != "Свердловский район")
    assert await _select(tree, f'org:"{REGION}"') == tree.ids(lambda m: True)


async def test_roles_are_or_ed_with_russian_names(tree: Tree) -> None:
    found = await _select(tree, 'role:"молодой педагог" роль:председатель')
    assert found == tree.ids(lambda m: bool(m.roles & (Role.YOUNG_TEACHER | Role.CHAIR)))
    assert len(found) == 21


async def test_kinds_are_and_ed(tree: Tree) -> None:
    found = await _select(tree, f'org:"{LENINSKY}" role:young_teacher channel:viber')
    assert found == tree.ids(
        lambda m: m.district == "Ленинский район" and bool(m.roles & Role.YOUNG_TEACHER)
        and "viber" in m.active
    )
    assert len(found) == 2  # schools 1 and 3 of four


async def test_tags(tree: Tree) -> None:
    assert await _select(tree, "tag:наставник") == tree.ids(lambda m: "наставник" in m.tags)
    both = await _select(tree, "tag:наставник tag:ПРОФКОМ")
    assert both == tree.ids(lambda m: bool(m.tags & {"наставник", "профком"}))
    assert len(both) == 13


async def test_channel_means_an_active_contact_there(tree: Tree) -> None:
    telegram = await _select(tree, "channel:telegram")
    assert telegram == tree.ids(lambda m: "telegram" in m.active)
    assert len(telegram) == 10  # the chairs; blocked young teachers and the erased are out
    either = await _select(tree, "channel:vk channel:viber")
    assert either == tree.ids(lambda m: bool(m.active & {"vk", "viber"}))


async def test_unknown_org_names_it_and_suggests_the_full_path(tree: Tree) -> None:
    with pytest.raises(SegmentError) as caught:
        await _select(tree, 'org:"Ленинский район"')
    message = str(caught.value)
    assert "«Ленинский район» не найдена" in message
    assert f'org:"{LENINSKY}"' in message


async def test_unknown_code_is_refused(tree: Tree) -> None:
    with pytest.raises(SegmentError, match="p000000000000"):
        await _select(tree, "org:p000000000000")


async def test_channels_checked_against_the_known_ones_when_given(tree: Tree) -> None:
    with pytest.raises(SegmentError, match="Доступны: telegram, vk"):
        await _select(tree, "channel:max", known_channels=["telegram", "vk"])


async def test_count_per_channel_and_unreachable(tree: Tree) -> None:
    async with tree.sessions() as session:
        resolved = await resolve_segment(session, parse_segment(f'org:"{LENINSKY}"'))
        count = await count_segment(session, resolved, ["telegram", "vk", "viber"])
        only_vk = await count_segment(session, resolved, ["vk"])
    leninsky = [m for m in tree.members if m.district == "Ленинский район" and not m.erased]
    assert count.members == len(leninsky) == 13
    assert count.reachable == {
        channel: sum(1 for m in leninsky if channel in m.active)
        for channel in ("telegram", "vk", "viber")
    } == {"telegram": 4, "vk": 2, "viber": 2}
    assert count.unreachable == sum(1 for m in leninsky if not m.active) == 5
    assert only_vk.unreachable == 11  # reachable only elsewhere counts as unreachable


async def test_the_select_embeds_in_insert_from_select(tree: Tree) -> None:
    """The queue materialises deliveries with INSERT … SELECT over this very query."""
    async with tree.sessions() as session, session.begin():
        resolved = await resolve_segment(session, Segment(tags=("наставник",)))
        people = segment_people(resolved).subquery()
        await session.execute(
            insert(PersonTag).from_select(
                ["person_id", "tag"], select(people.c.id, literal("рассылка-1"))
            )
        )
        copied = await session.scalar(
            select(func.count()).where(PersonTag.tag == "рассылка-1")
        )
    assert copied == len(tree.ids(lambda m: "наставник" in m.tags)) == 3
