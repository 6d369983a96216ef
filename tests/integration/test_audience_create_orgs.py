"""`rupor audience import --create-orgs` through the real command line: without it a row
naming an unknown district is rejected (exit 1), with it the district is created."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from bots.cli.audience import audience
from bots.cli.main import cli

REGION = "Пермская краевая организация Профсоюза образования"
HEADER = "full_name,org_path\n"


def _import(config: Path, members: Path, *flags: str) -> int:
    cli.add_command(audience)  # what bots.cli.main() does before running
    result = CliRunner().invoke(
        cli, ["--config", str(config), "audience", "import", str(members), *flags]
    )
    return result.exit_code


def _districts(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT name FROM organizations WHERE kind = 'district'")
        return sorted(name for (name,) in rows)


def test_an_unknown_district_needs_create_orgs(tmp_path: Path) -> None:
    database = tmp_path / "rupor.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    first = tmp_path / "first.csv"
    first.write_text(f"{HEADER}Иванова Анна,{REGION}/Ленинский район\n", encoding="utf-8")
    assert _import(config, first) == 0
    typo = tmp_path / "typo.csv"
    typo.write_text(f"{HEADER}Петров Пётр,{REGION}/Ленинскй район\n", encoding="utf-8")
    assert _import(config, typo) == 1
    assert _districts(database) == ["Ленинский район"]
    assert _import(config, typo, "--create-orgs") == 0
    assert _districts(database) == ["Ленинский район", "Ленинскй район"]
