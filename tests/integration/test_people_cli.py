"""`rupor people find | export | erase` through CliRunner on a fresh SQLite file: the id
found by name, the export as UTF-8 JSON, erase that asks first (and with --yes does not),
a second erase refused, and the import refusing nobody new after erasure."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result

from tests.integration.cli_support import rupor_with_members


def _answering(tmp_path: Path, answer: str, *args: str) -> Result:
    """The command with `answer` typed at its question."""
    from click.testing import CliRunner

    from bots.cli.main import cli

    return CliRunner().invoke(cli, ["--config", str(tmp_path / "config.toml"), *args],
                              input=answer)


def _id_of(output: str, name: str) -> str:
    line = next(line for line in output.splitlines() if name in line)
    return next(word for word in line.split() if word.isdigit())


def test_find_export_erase(tmp_path: Path) -> None:
    rupor = rupor_with_members(tmp_path)
    found = rupor("people", "find", "иванова")
    assert found.exit_code == 0, found.output
    assert "Иванова Анна" in found.output and "Telegram" in found.output
    person = _id_of(found.output, "Иванова Анна")

    out = tmp_path / "иванова.json"
    exported = rupor("people", "export", person, "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "Записано" in exported.output
    raw = out.read_text(encoding="utf-8")
    assert "Иванова Анна" in raw  # ensure_ascii=False: readable Cyrillic
    data = json.loads(raw)
    assert data["accounts"] == [{"channel": "telegram", "external_id": "11"}]
    assert [c["source"] for c in data["tables"]["consents"]] == ["import"]

    refused = _answering(tmp_path, "n\n", "people", "erase", person)
    assert refused.exit_code == 1
    assert "Будут удалены" in refused.output and "Telegram 11" in refused.output
    assert "ничего не удалено" in refused.output
    assert "Иванова Анна" in rupor("people", "export", person).output

    done = _answering(tmp_path, "y\n", "people", "erase", person)
    assert done.exit_code == 0, done.output
    assert "удалены" in done.output
    again = rupor("people", "erase", person, "--yes")
    assert again.exit_code == 1 and "уже удалены" in again.output
    after = json.loads(rupor("people", "export", person).output)
    assert after["person"]["full_name"] == "" and after["accounts"] == []
    assert rupor("people", "find", "Иванова").exit_code == 1  # nobody by that name now
    audit = rupor("audit", "--json").output
    assert "people.erase" in audit and "Иванова" not in audit


def test_unknown_ids_and_names_are_one_russian_line(tmp_path: Path) -> None:
    rupor = rupor_with_members(tmp_path)
    missing = rupor("people", "export", "999")
    assert missing.exit_code == 1 and "человека с id 999 нет" in missing.output
    nobody = rupor("people", "find", "Сидоров")
    assert nobody.exit_code == 1 and "никого не нашлось" in nobody.output
