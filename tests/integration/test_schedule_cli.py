"""`rupor post --at | --cron` and `rupor campaigns list | pause | resume` through the real
command line on a fresh SQLite file: the Russian echo of when it goes out, quiet hours
named, the schedule and next run in the list, refusals that say what to type."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.integration.cli_support import Rupor, rupor_with_members


@pytest.fixture
def rupor(tmp_path: Path) -> Rupor:
    return rupor_with_members(tmp_path, '[scheduler]\ntimezone = "Asia/Yekaterinburg"\n')


def _db(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "rupor.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_post_at_a_time_schedules_without_a_run(rupor: Rupor, tmp_path: Path) -> None:
    post = rupor("post", "--text", "Собрание", "--at", "2030-01-10T10:00")
    assert post.exit_code == 0, post.output
    assert post.stdout.startswith("Рассылка №1 создана по расписанию: 2 чел.")
    assert "Когда: " in post.stdout and "10 января" in post.stdout
    assert _db(tmp_path, "SELECT status, run_at FROM campaigns") == [
        ("scheduled", "2030-01-10 05:00:00.000000")]  # 10:00 in Yekaterinburg is 05:00 UTC
    assert _db(tmp_path, "SELECT COUNT(*) FROM campaign_runs") == [(0,)]
    listed = json.loads(rupor("campaigns", "list", "--json").stdout)
    assert [(c["schedule"], c["next_run"]) for c in listed] == [
        ("разово 10 января 2030 в 10:00", "10.01.2030 10:00")]
    shown = rupor("campaigns", "list").stdout
    assert "По расписанию (время Asia/Yekaterinburg)" in shown


def test_a_time_in_quiet_hours_says_when_it_really_starts(rupor: Rupor) -> None:
    post = rupor("post", "--text", "Поздно", "--at", "2030-01-10T23:30")
    assert post.exit_code == 0, post.output
    said = " ".join(post.stdout.split())  # lines wrap at 80 columns
    assert "в тихие часы (21:00–09:00): рассылка начнётся 11 января 2030 в 9:00." in said
    listed = json.loads(rupor("campaigns", "list", "--json").stdout)
    assert listed[0]["next_run"] == "11.01.2030 09:00"


def test_post_cron_repeats_and_the_list_says_how(rupor: Rupor, tmp_path: Path) -> None:
    post = rupor("post", "--text", "Листок", "--cron", "0 10 1 * *")
    assert post.exit_code == 0, post.output
    assert "первая отправка" in post.stdout
    assert _db(tmp_path, "SELECT status, cron FROM campaigns") == [("scheduled", "0 10 1 * *")]
    listed = json.loads(rupor("campaigns", "list", "--json").stdout)
    assert listed[0]["schedule"].startswith("каждый месяц 1")
    assert listed[0]["next_run"].startswith("01.")


@pytest.mark.parametrize(("args", "says"), [
    (("--cron", "каждый день"), "нужно 5 полей"),
    (("--cron", "0 25 * * *"), "Не понял расписание cron «0 25 * * *»"),
    (("--now", "--at", "завтра в 10:00"), "что-то одно"),
    ((), "что-то одно"),
])
def test_refusals_say_what_to_type(rupor: Rupor, args: tuple[str, ...], says: str) -> None:
    refused = rupor("post", "--text", "Листок", *args)
    assert refused.exit_code == 2
    assert says in refused.stderr


def test_pause_and_resume(rupor: Rupor, tmp_path: Path) -> None:
    assert rupor("post", "--text", "Листок", "--now").exit_code == 0
    paused = rupor("campaigns", "pause", "1")
    assert paused.exit_code == 0, paused.output
    assert "Рассылка №1 на паузе; ждут отправки: 2." in paused.stdout
    assert _db(tmp_path, "SELECT DISTINCT status FROM deliveries") == [("paused",)]
    again = rupor("campaigns", "pause", "1")
    assert (again.exit_code, again.stderr) == (1, "rupor: Рассылка №1 уже на паузе.\n")
    resumed = rupor("campaigns", "resume", "1")
    assert "Рассылка №1 продолжена; снова в очереди: 2." in resumed.stdout
    assert _db(tmp_path, "SELECT DISTINCT status FROM deliveries") == [("pending",)]
    assert _db(tmp_path, "SELECT status FROM campaigns") == [("running",)]
    missing = rupor("campaigns", "resume", "7")
    assert (missing.exit_code, missing.stderr) == (1, "rupor: Рассылки №7 нет.\n")


def test_a_paused_schedule_shows_in_the_list(rupor: Rupor) -> None:
    assert rupor("post", "--text", "Листок", "--cron", "0 10 1 * *").exit_code == 0
    assert rupor("campaigns", "pause", "1").exit_code == 0
    listed = json.loads(rupor("campaigns", "list", "--json").stdout)
    assert (listed[0]["status"], listed[0]["next_run"]) == ("paused", "на паузе")
