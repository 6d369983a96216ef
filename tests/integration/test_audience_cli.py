"""`rupor audience import` and `rupor audience stats` through the real command line, with a
temporary settings file and a fresh SQLite database (the import creates its schema)."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "members.csv"
REGION = "Пермская краевая организация Профсоюза образования"
HEADER = "full_name,org_path,roles,telegram_id,vk_id,viber_id,member_id,tags\n"

Rupor = Callable[..., Result]


def _settings(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "rupor.sqlite3"}"\n{extra}', encoding="utf-8"
    )
    return config


def _runner(config: Path) -> Rupor:
    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args])

    return run


def _rows(output: str) -> list[list[str]]:
    """A printed table's lines as cells: columns are two or more spaces apart, or one
    space before a number; digit groups ("3 000") are joined back."""
    rows = []
    for line in output.splitlines():
        line = line.replace("\u202f", "").strip()
        if line and not set(line) <= set("─ "):
            rows.append(re.split(r"  +| (?=\d+$)| (?=\d+ )", line))
    return rows


def _summary(output: str) -> dict[str, str]:
    """The import's summary table as {what: number}."""
    return {cells[0]: cells[-1] for cells in _rows(output) if len(cells) == 2}


@pytest.fixture
def rupor(tmp_path: Path) -> Rupor:
    return _runner(_settings(tmp_path))


def test_the_example_union_imports_into_a_fresh_database_and_again_changes_nothing(
    rupor: Rupor,
) -> None:
    first = rupor("audience", "import", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Импорт: CSV, UTF-8, запятая")
    summary = _summary(first.stdout)
    assert (summary["Строк прочитано"], summary["Импортировано"], summary["Отклонено"]) == (
        "437", "437", "0")
    again = rupor("audience", "import", str(EXAMPLE), "--json")
    assert again.exit_code == 0
    report = json.loads(again.stdout)
    assert (report["people_created"], report["people_updated"], report["people_unchanged"]) == (
        0, 0, 437)
    assert report["contacts_created"] == report["organizations_created"] == 0


def test_rejected_rows_are_listed_and_exit_1(rupor: Rupor, tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text(
        HEADER
        + f"Иванова Анна,{REGION}/Ленинский район/МАОУ «СОШ № 12»,,42,,,,\n"
        + f"Петров Пётр,{REGION}/Ленинский район/МАОУ «СОШ № 12»,,,abc,,,\n",
        encoding="utf-8",
    )
    result = rupor("audience", "import", str(members))
    assert result.exit_code == 1
    summary = _summary(result.stdout)
    assert (summary["Импортировано"], summary["Отклонено"], summary["Организаций создано"]) == (
        "1", "1", "3")
    assert "Отклонённые строки" in result.stdout
    assert ["3", "vk_id 'abc' — не число"] in _rows(result.stdout)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "файл не найден"),
        (b"full_name,roles\n", "нет обязательных столбцов: org_path"),
        (b"full_name,org_path,telegramid\n", "неизвестный столбец 'telegramid'"),
        (b"full_name,org_path\n\x98\x98\n", "не в UTF-8 и не в Windows-1251"),
    ],
)
def test_an_unusable_file_is_one_line_and_exit_2(
    rupor: Rupor, tmp_path: Path, content: bytes | None, says: str
) -> None:
    members = tmp_path / "members.csv"
    if content is not None:
        members.write_bytes(content)
    result = rupor("audience", "import", str(members))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"rupor: {members}: ") and says in result.stderr
    assert result.stdout == ""


STATS_FILE = HEADER + "".join(
    f"{name},{REGION}/{place},,{telegram},,{viber},,\n"
    for name, place, telegram, viber in [
        ("Иванова Анна", "Ленинский район/МАОУ «СОШ № 12»", "11", ""),
        ("Петрова Мария", "Ленинский район/МАОУ «СОШ № 12»", "12", "v12"),
        ("Сидорова Ольга", "Ленинский район/МАДОУ «Детский сад № 5»", "", ""),
        ("Орлова Вера", "Кунгурский муниципальный округ/МБОУ «Ергачинская СОШ»", "", "v14"),
        ("Белова Нина", "Кунгурский муниципальный округ", "", ""),
    ]
)


def test_stats_is_a_table_per_district_with_configured_and_stored_channels(
    tmp_path: Path,
) -> None:
    configured = (
        '[telegram]\ntoken = "123:abc"\n[vk]\ntoken = "vk-token"\ngroup_id = 1\n'
    )
    rupor = _runner(_settings(tmp_path, configured))
    members = tmp_path / "members.csv"
    members.write_text(STATS_FILE, encoding="utf-8")
    assert rupor("audience", "import", str(members)).exit_code == 0
    result = rupor("audience", "stats")
    assert result.exit_code == 0, result.output
    # telegram and vk are configured (vk has no contacts yet); viber only has contacts.
    rows = _rows(result.stdout)
    assert rows[:5] == [
        ["Без мессен-"],
        ["Район", "Членов", "telegram", "vk", "viber", "джера"],
        ["Кунгурский муниципальный округ", "2", "0", "0", "1", "1"],
        ["Ленинский район", "3", "2", "0", "1", "1"],
        ["Итого", "5", "2", "0", "2", "2"],
    ]
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    scripted = json.loads(rupor("audience", "stats", "--json").stdout)
    assert scripted["channels"] == ["telegram", "vk", "viber"]
    assert scripted["total"]["reachable"] == {"telegram": 2, "vk": 0, "viber": 2}


def test_stats_by_organisation(rupor: Rupor, tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text(STATS_FILE, encoding="utf-8")
    rupor("audience", "import", str(members))
    rows = _rows(rupor("audience", "stats", "--by", "organisation").stdout)
    assert rows[1] == ["Организация", "Членов", "telegram", "viber", "джера"]
    assert rows[2] == ["Кунгурский муниципальный округ", "1", "0", "0", "1"]
    total = rows.index(["Итого", "5", "2", "2", "2"])
    # four organisations with members (a long name may wrap onto a line of its own)
    assert sum(len(cells) == 5 for cells in rows[2:total]) == 4


def test_stats_on_a_new_database_creates_the_schema(rupor: Rupor) -> None:
    result = rupor("audience", "stats")
    assert result.exit_code == 0
    assert ["Итого", "0", "0"] in _rows(result.stdout)


def test_a_schema_at_another_revision_asks_for_db_upgrade(
    rupor: Rupor, tmp_path: Path
) -> None:
    assert rupor("audience", "stats").exit_code == 0
    with sqlite3.connect(tmp_path / "rupor.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = 'older'")
    result = rupor("audience", "import", str(EXAMPLE))
    assert result.exit_code == 2
    assert "схема базы данных на версии older" in result.stderr
    assert "сначала выполните `rupor db upgrade`" in result.stderr


def test_a_missing_settings_file_is_exit_2(tmp_path: Path) -> None:
    result = _runner(tmp_path / "absent.toml")("audience", "stats")
    assert result.exit_code == 2
    assert "файл настроек не найден" in result.stderr


@pytest.mark.parametrize("args", [["audience"], ["audience", "import"], ["audience", "stats"]])
def test_help(rupor: Rupor, args: list[str]) -> None:
    result = rupor(*args, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_the_example_file_is_what_its_seeded_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_members", ROOT / "examples/make_members.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    written = tmp_path / "members.csv"
    assert generator.write(written, seed=59) == 437
    assert written.read_bytes() == EXAMPLE.read_bytes()
    with written.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    schools = {row["org_path"] for row in rows if row["org_path"].count("/") == 2}
    chairs = [row["org_path"] for row in rows if "chair" in row["roles"]]
    assert len(schools) == 35
    assert all(chairs.count(school) == 1 for school in schools)
    assert sum(row["org_path"].endswith("Аппарат краевой организации") for row in rows) == 6
