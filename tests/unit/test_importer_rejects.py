"""Member import: rows rejected whole with their line and reason, and files refused before
anything is written. Against a real SQLite file (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from core.audience.importing.job import ImportFileError
from core.storage.models import Contact, Organization, Person
from tests.unit.import_support import (
    GYMNASIUM,
    MEMBERS,
    NOW,
    SCHOOL,
    Sessions,
    count,
    run_import,
    write_csv,
)

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
    report = await run_import(sessions, path, create_orgs=True)
    rejected = [(r.line, r.reason) for r in report.rejected]
    assert rejected[:3] == [
        (5, "vk_id 'abc' — не число"),
        (6, "telegram_id '-5' — не число"),
        (7, rejected[2][1]),
    ]
    assert rejected[2][1].startswith("roles: неизвестная роль «директор» (известны: admin, chair")
    assert rejected[2][1].endswith(", или их русские названия)")
    assert rejected[3:] == [
        (8, f"в org_path «{SCHOOL}/Кабинет № 5» 4 уровня, а можно не больше 3 "
            "(регион/район/организация)"),
        (9, "full_name пуст; viber_id 'a b' не должен содержать пробелов"),
        (10, "то же лицо, что в строке 2 (member_id 5900000001)"),
        (11, "telegram_id 111 уже указан в строке 2"),
        (12, "telegram_id '5.01235E+09' записан в экспоненциальной форме Excel, цифры "
             "потеряны; задайте столбцу формат «Текстовый» или «Числовой» и сохраните файл "
             "заново"),
        (13, "vk_id 'https://vk.com/durov' — короткое имя, его не узнать без сети; "
             "укажите числовой id (https://vk.com/id123)"),
        (16, "значение в столбце 9, у которого нет названия в заголовке"),
        (17, "telegram_id 42 уже принадлежит другому человеку (Старый Член Профсоюза)"),
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
        (3, "то же лицо, что в строке 2 (то же ФИО в той же организации)")
    ]


async def test_an_erased_member_is_not_imported_again(sessions: Sessions, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [MEMBERS[0]])
    await run_import(sessions, path)
    async with sessions() as session, session.begin():
        await session.execute(update(Person).values(erased_at=NOW))
    report = await run_import(sessions, path)
    assert [r.line for r in report.rejected] == [2]
    assert report.rejected[0].reason == (
        "данные этого человека удалены по его просьбе; повторно не загружаются"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"full_name,org_path,telegramid\n", "неизвестный столбец 'telegramid'"),
        (b"full_name;roles\n", "нет обязательных столбцов: org_path"),
        (b"full_name,org_path,Full_Name\n", "столбец 'full_name' дважды"),
        (b"full_name,org_path\n\x98\x98,\x81\n", "не в UTF-8 и не в Windows-1251"),
        (b"full_name,org_path\nx,\x00y\n", "в строке 2 управляющий символ U+0000"),
        ("full_name,org_path\nИванова,Край\nПетрова,Р\x01айон\n".encode("cp1251"),
         "в строке 3 управляющий символ U+0001"),
        ("full_name,org_path\n".encode("utf-16"), "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "старая книга .xls"),
        (b"PK\x03\x04broken", "не удаётся прочитать книгу XLSX"),
        (b"", "нет обязательных столбцов: full_name, org_path"),
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
    with pytest.raises(ImportFileError, match="файл не найден"):
        await run_import(sessions, tmp_path / "nope.csv")


async def test_a_huge_bad_cell_is_quoted_short(sessions: Sessions, tmp_path: Path) -> None:
    huge = "ж" * 3000
    rows = [["Иванова Анна", SCHOOL, "", huge, "", "", "", ""],
            ["Петрова Мария", f"{SCHOOL}/{huge}/ещё", huge, "", "", "", "", ""]]
    report = await run_import(sessions, write_csv(tmp_path / "huge.csv", rows))
    reasons = [r.reason for r in report.rejected]
    assert len(reasons) == 2 and all(len(reason) < 500 for reason in reasons), reasons
    assert reasons[0].startswith("telegram_id 'жжж") and "…' — не число" in reasons[0]
    assert "…» 5 уровней" in reasons[1] and "неизвестная роль «жжж" in reasons[1]
