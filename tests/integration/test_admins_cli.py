"""`rupor admins add | list | remove` and `rupor audit` through the real command line, with
a temporary settings file and a fresh SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots.cli.main import cli

Rupor = Callable[..., Result]
HEADER = "full_name,org_path,roles,telegram_id,vk_id,viber_id\n"
SCHOOL = "Пермская краевая организация Профсоюза образования/Ленинский район/МАОУ «СОШ № 12»"


@pytest.fixture
def rupor(tmp_path: Path) -> Rupor:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "rupor.sqlite3"}"\n', encoding="utf-8"
    )

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config), *args])

    return run


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_add_list_remove_and_the_audit_log(rupor: Rupor, tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text(HEADER + f"Иванова Мария Петровна,{SCHOOL},,4242,,\n", encoding="utf-8")
    _ok(rupor("audience", "import", str(members)))

    assert _ok(rupor("admins", "add", "--telegram-id", "4242", "--role", "press")) == (
        "Роль «пресс-секретарь» выдана: telegram 4242 (Иванова Мария Петровна).\n")
    assert " ".join(_ok(rupor("admins", "add", "--telegram-id", "4242", "--role", "press"))
                    .split()).endswith("роль «пресс-секретарь» уже есть: ничего не изменилось.")
    _ok(rupor("admins", "add", "--vk-id", "77", "--role", "staff"))
    _ok(rupor("admins", "add", "--viber-id", "01AbC+/=", "--role", "admin"))

    listed = _ok(rupor("admins", "list"))
    assert all(len(line) <= 80 for line in listed.splitlines())
    words = " ".join(listed.split())
    assert "(время — UTC)" in words and "Иванова Мария" in words
    for role, account in (("пресс-секретарь", "4242"), ("аппарат", "77"),
                          ("администратор", "01AbC+/=")):
        assert role in words and account in words
    grants = json.loads(_ok(rupor("admins", "list", "--json")))
    assert [(g["channel"], g["external_id"], g["role"], g["granted_by"], g["name"])
            for g in grants] == [
        ("telegram", "4242", "press", "cli", "Иванова Мария Петровна"),
        ("viber", "01AbC+/=", "admin", "cli", None),
        ("vk", "77", "staff", "cli", None),
    ]

    assert _ok(rupor("admins", "remove", "--vk-id", "77", "--role", "press")) == (
        "У vk 77 не было роли «пресс-секретарь»: снимать нечего.\n")
    assert _ok(rupor("admins", "remove", "--vk-id", "77")) == (
        "Снято с vk 77: сотрудник аппарата.\n")
    assert _ok(rupor("admins", "remove", "--vk-id", "77")) == (
        "У vk 77 не было ролей: снимать нечего.\n")
    assert [g["channel"] for g in json.loads(_ok(rupor("admins", "list", "--json")))] == [
        "telegram", "viber"]

    log = json.loads(_ok(rupor("audit", "--json")))
    assert [(e["actor"], e["channel"], e["action"], e["result"]) for e in log] == [
        ("cli", None, "admins.grant", "ok")] * 4 + [("cli", None, "admins.revoke", "ok")] * 3
    assert log[1]["details"] == {
        "channel": "telegram", "external_id": "4242", "role": "press", "changed": False}
    assert log[5]["details"]["removed"] == ["staff"]
    assert [e["action"] for e in json.loads(_ok(rupor("audit", "--last", "2", "--json")))] == [
        "admins.revoke", "admins.revoke"]

    shown = _ok(rupor("audit"))
    assert all(len(line) <= 80 for line in shown.splitlines())
    words = " ".join(shown.split())
    assert "время — UTC" in words and "выдача роли" in words and "снятие роли" in words
    assert "выполнено" in words and "(уже была)" in words and "снято: сотрудник" in words


def test_empty_lists_say_so(rupor: Rupor) -> None:
    assert "Ролей пока ни у кого нет" in _ok(rupor("admins", "list"))
    assert _ok(rupor("audit")) == "Журнал пуст.\n"
    assert json.loads(_ok(rupor("audit", "--json"))) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("admins", "add", "--telegram-id", "1", "--vk-id", "2", "--role", "press"),
         "укажите ровно один аккаунт: --telegram-id, --vk-id, --viber-id"),
        (("admins", "add", "--role", "press"), "укажите ровно один аккаунт"),
        (("admins", "remove"), "укажите ровно один аккаунт"),
        (("admins", "add", "--telegram-id", "1", "--role", "boss"),
         "--role 'boss': такой роли нет; роли: admin, press, staff"),
        (("admins", "add", "--telegram-id", "1"), "укажите роль: --role admin, press или staff"),
        (("admins", "add", "--vk-id", "id77", "--role", "press"),
         "--vk-id 'id77': нужен id аккаунта — положительное число"),
        (("admins", "remove", "--telegram-id", "1", "--role", "boss"), "такой роли нет"),
        (("audit", "--since", "вчера"), "--since 'вчера': пишите дату так: 2026-09-01"),
    ],
    ids=["two-ids", "no-id", "remove-no-id", "bad-role", "no-role", "bad-id",
         "remove-bad-role", "bad-date"],
)
def test_wrong_usage_is_one_russian_line_and_exit_2(
    rupor: Rupor, args: tuple[str, ...], says: str
) -> None:
    result = rupor(*args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("rupor: ") and says in result.stderr
    assert result.stdout == ""
    assert json.loads(_ok(rupor("audit", "--json"))) == []


def test_russian_role_names_are_accepted(rupor: Rupor) -> None:
    _ok(rupor("admins", "add", "--vk-id", "5", "--role", "Пресс-секретарь"))
    _ok(rupor("admins", "add", "--vk-id", "5", "--role", "администратор"))
    assert {g["role"] for g in json.loads(_ok(rupor("admins", "list", "--json")))} == {
        "press", "admin"}


def test_a_numeric_id_is_kept_as_the_platform_writes_it(rupor: Rupor) -> None:
    _ok(rupor("admins", "add", "--telegram-id", " 007 ", "--role", "staff"))
    assert [g["external_id"] for g in json.loads(_ok(rupor("admins", "list", "--json")))] == ["7"]
    assert "Снято с telegram 7" in _ok(rupor("admins", "remove", "--telegram-id", "7"))
