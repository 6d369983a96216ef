"""`rupor audience import` and `rupor audience stats` through the real command line, with a
temporary settings file and a fresh SQLite database (the import creates its schema)."""

from __future__ import annotations

import csv
import importlib.util
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots.cli.audience import audience
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
    cli.add_command(audience)  # what bots.cli.main() does before running

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args])

    return run


@pytest.fixture
def rupor(tmp_path: Path) -> Rupor:
    return _runner(_settings(tmp_path))


def test_the_example_union_imports_into_a_fresh_database_and_again_changes_nothing(
    rupor: Rupor,
) -> None:
    first = rupor("audience", "import", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == (
        "read 437 rows (CSV, UTF-8, comma): 437 imported, 0 rejected"
    )
    again = rupor("audience", "import", str(EXAMPLE))
    assert again.exit_code == 0
    assert again.stdout.splitlines()[1] == (
        "people: 0 created, 0 updated, 437 unchanged; contacts: 0 created, 0 linked; "
        "organisations: 0 created"
    )


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
    assert result.stdout.splitlines() == [
        "read 2 rows (CSV, UTF-8, comma): 1 imported, 1 rejected",
        "people: 1 created, 0 updated, 0 unchanged; contacts: 1 created, 0 linked; "
        "organisations: 3 created",
        "line 3: vk_id 'abc' is not a number",
    ]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "file not found"),
        (b"full_name,roles\n", "missing required column(s) org_path"),
        (b"full_name,org_path,telegramid\n", "unknown column 'telegramid'"),
        (b"full_name,org_path\n\x98\x98\n", "neither UTF-8 nor Windows-1251"),
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
    assert result.stdout.splitlines() == [
        "district                        members  telegram  vk  viber  unreachable",
        "-------------------------------------------------------------------------",
        "Кунгурский муниципальный округ        2         0   0      1            1",
        "Ленинский район                       3         2   0      1            1",
        "-------------------------------------------------------------------------",
        "total                                 5         2   0      2            2",
    ]


def test_stats_by_organisation(rupor: Rupor, tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text(STATS_FILE, encoding="utf-8")
    rupor("audience", "import", str(members))
    lines = rupor("audience", "stats", "--by", "organisation").stdout.splitlines()
    assert lines[0].split() == ["organisation", "members", "telegram", "viber", "unreachable"]
    assert lines[2].split() == ["Кунгурский", "муниципальный", "округ", "1", "0", "0", "1"]
    assert lines[-1].split() == ["total", "5", "2", "2", "2"]
    assert len(lines) == 8  # header, two rules, four organisations with members, total


def test_stats_on_a_new_database_creates_the_schema(rupor: Rupor) -> None:
    result = rupor("audience", "stats")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1].split() == ["total", "0", "0"]


def test_a_schema_at_another_revision_asks_for_db_upgrade(
    rupor: Rupor, tmp_path: Path
) -> None:
    assert rupor("audience", "stats").exit_code == 0
    with sqlite3.connect(tmp_path / "rupor.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = 'older'")
    result = rupor("audience", "import", str(EXAMPLE))
    assert result.exit_code == 2
    assert "revision older" in result.stderr and "rupor db upgrade" in result.stderr


def test_a_missing_settings_file_is_exit_2(tmp_path: Path) -> None:
    result = _runner(tmp_path / "absent.toml")("audience", "stats")
    assert result.exit_code == 2
    assert "settings file not found" in result.stderr


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
