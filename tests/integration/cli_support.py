"""The command line through click's CliRunner on a fresh SQLite file with two members
already imported: what the campaigns and schedule CLI tests share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from bots.cli.main import cli

REGION = "Пермская краевая организация Профсоюза образования"
MEMBERS = (
    "full_name,org_path,roles,telegram_id,vk_id,viber_id,member_id,tags\n"
    f"Иванова Анна,{REGION}/Ленинский район/МАОУ «СОШ № 12»,,11,,,,\n"
    f"Петрова Мария,{REGION}/Ленинский район/МАОУ «СОШ № 12»,,12,,,,\n"
)

Rupor = Callable[..., Result]


def rupor_with_members(tmp_path: Path, extra_settings: str = "") -> Rupor:
    """`rupor --config …` on a Telegram-configured database holding MEMBERS."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "rupor.sqlite3"}"\n'
        f'[telegram]\ntoken = "123:abc"\n{extra_settings}', encoding="utf-8")
    members = tmp_path / "members.csv"
    members.write_text(MEMBERS, encoding="utf-8")

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args])

    assert run("audience", "import", str(members)).exit_code == 0
    return run
