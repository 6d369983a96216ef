"""A mistyped region or district in an import is refused with "did you mean", not created
beside the real one (issue 12); `create_orgs` creates it; new schools are normal growth."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.audience.importing.guard import closest
from core.storage.models import Organization, Person
from tests.unit.import_support import (
    MEMBERS,
    REGION,
    SCHOOL,
    Sessions,
    count,
    run_import,
    write_csv,
)

LENINSKY = f"{REGION}/Ленинский район"


def _row(name: str, org_path: str, telegram_id: str = "") -> list[str]:
    return [name, org_path, "", telegram_id, "", "", "", ""]


async def _names(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return sorted(await session.scalars(select(Organization.full_name)))


async def test_a_first_import_into_an_empty_database_creates_the_tree(
    sessions: Sessions, tmp_path: Path
) -> None:
    report = await run_import(sessions, write_csv(tmp_path / "m.csv", MEMBERS))
    assert report.complete and report.organizations_created == 5


async def test_a_mistyped_district_is_refused_with_the_closest_name(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    before = await _names(sessions)
    rows = [
        _row("Новикова Ирина", f"{REGION}/Ленинскй район/МАОУ «СОШ № 12»"),
        _row("Орлов Олег", f"{REGION}/ленинский  РАЙОН"),
        _row("Белова Вера", SCHOOL, "5550001"),  # fine: the import goes on
    ]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", rows))
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, f"нет района «Ленинскй район» в «{REGION}»; возможно, «Ленинский район»?"),
        (3, f"нет района «ленинский РАЙОН» в «{REGION}»; возможно, «Ленинский район»?"),
    ]
    assert report.rows_imported == 1 and report.organizations_created == 0
    assert await _names(sessions) == before
    assert await count(sessions, Person) == len(MEMBERS) + 1


async def test_a_mistyped_region_is_refused_and_an_unlike_one_points_to_create_orgs(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    rows = [
        _row("Новикова Ирина", "Пермская краевая организаци/Ленинский район/Школа № 1"),
        _row("Орлов Олег", "Томская областная организация/Кировский район"),
        _row("Белова Вера", f"{REGION}/Кировский район"),
    ]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", rows))
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, f"нет региональной организации «Пермская краевая организаци»; возможно, «{REGION}»?"),
        (3, "нет региональной организации «Томская областная организация»; "
            "если это новая организация, загрузите файл с --create-orgs"),
        # "Кировский район" is not offered "Ленинский район": only the common word is alike.
        (4, f"нет района «Кировский район» в «{REGION}»; "
            "если это новый район, загрузите файл с --create-orgs"),
    ]
    assert report.rows_imported == 0


async def test_create_orgs_creates_new_regions_and_districts(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    rows = [
        _row("Орлов Олег", "Томская областная организация/Кировский район/Школа № 3"),
        _row("Белова Вера", f"{REGION}/Кировский район"),
    ]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", rows), create_orgs=True)
    assert report.complete and report.organizations_created == 4
    assert f"{REGION}/Кировский район" in await _names(sessions)


async def test_a_new_school_under_an_existing_district_is_created(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    rows = [_row("Новикова Ирина", f"{LENINSKY}/МБДОУ «Детский сад № 7»")]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", rows), batch_size=1)
    assert report.complete and report.organizations_created == 1


async def test_rows_in_later_batches_are_judged_the_same_way(
    sessions: Sessions, tmp_path: Path
) -> None:
    await run_import(sessions, write_csv(tmp_path / "a.csv", MEMBERS))
    rows = [_row(f"Член {n}", f"{REGION}/Ленинскй район/Школа") for n in range(5)]
    report = await run_import(sessions, write_csv(tmp_path / "b.csv", rows), batch_size=2)
    assert [r.line for r in report.rejected] == [2, 3, 4, 5, 6]
    assert report.organizations_created == 0


def test_closest_ignores_case_and_spaces_and_suggests_nothing_unlike() -> None:
    districts = {"Ленинский район", "Свердловский район", "Кировский район"}
    assert closest("ЛЕНИНСКИЙРАЙОН", districts) == ["Ленинский район"]
    assert closest("Индустриальный район", districts) == []
