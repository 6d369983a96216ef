"""`rupor post`, `rupor campaigns list | report | cancel` through the real command line on a
fresh SQLite file: Russian answers, a missing campaign told from one not yet run, and a
finished campaign that cannot be cancelled."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.integration.cli_support import Rupor, rupor_with_members


@pytest.fixture
def rupor(tmp_path: Path) -> Rupor:
    return rupor_with_members(tmp_path)


def _finish(tmp_path: Path, campaign_id: int) -> None:
    """What the sender leaves behind once everything is sent."""
    with sqlite3.connect(tmp_path / "rupor.sqlite3") as db:
        db.execute("UPDATE deliveries SET status = 'sent'")
        db.execute("UPDATE campaign_runs SET status = 'done'")
        db.execute("UPDATE campaigns SET status = 'done' WHERE id = ?", (campaign_id,))


def test_post_then_cancel_then_cancel_again(rupor: Rupor) -> None:
    post = rupor("post", "--text", "Собрание в четверг", "--to", "all", "--now")
    assert post.exit_code == 0, post.output
    assert post.stdout.startswith("Рассылка №1 создана, запуск №1: 2 чел.")
    cancelled = rupor("campaigns", "cancel", "1")
    assert cancelled.exit_code == 0, cancelled.output
    assert "Рассылка №1 отменена; не будут отправлены: 2." in cancelled.stdout
    again = rupor("campaigns", "cancel", "1")
    assert again.exit_code == 1
    assert again.stderr == "rupor: Рассылка №1 уже отменена: отменять нечего.\n"


def test_a_finished_campaign_cannot_be_cancelled(rupor: Rupor, tmp_path: Path) -> None:
    assert rupor("post", "--text", "Листок", "--to", "all", "--now").exit_code == 0
    _finish(tmp_path, 1)
    refused = rupor("campaigns", "cancel", "1")
    assert refused.exit_code == 1
    assert refused.stderr == "rupor: Рассылка №1 уже завершена: отменять нечего.\n"
    listed = json.loads(rupor("campaigns", "list", "--json").stdout)
    assert [(c["id"], c["status"], c["reached"]) for c in listed] == [(1, "done", 2)]


def test_cancel_and_report_of_a_campaign_that_does_not_exist(rupor: Rupor) -> None:
    cancel = rupor("campaigns", "cancel", "99")
    assert (cancel.exit_code, cancel.stderr) == (1, "rupor: Рассылки №99 нет.\n")
    report = rupor("campaigns", "report", "99")
    assert report.exit_code == 1
    assert report.stderr.startswith("rupor: рассылки №99 нет;")
    assert "запуск" not in report.stderr


def test_report_is_russian_fits_80_columns_and_has_json(rupor: Rupor, tmp_path: Path) -> None:
    assert rupor("post", "--text", "Листок", "--to", "all", "--now").exit_code == 0
    _finish(tmp_path, 1)
    report = rupor("campaigns", "report", "1")
    assert report.exit_code == 0, report.output
    lines = report.stdout.splitlines()
    assert lines[0] == "Рассылка №1: Листок"
    assert all(len(line) <= 80 for line in lines)
    assert "н/д" in report.stdout and "Telegram не сообщает ботам о прочтении" in report.stdout
    assert not any(word in report.stdout for word in ("deliv.", "uncert.", "in prog.", "TOTAL"))
    data = json.loads(rupor("campaigns", "report", "1", "--json").stdout)
    assert data["total"]["counts"]["sent"] == 2 and data["total"]["reached"] == 2
    assert data["channels"]["telegram"]["counts"]["read"] == 0


def test_list_when_empty_says_how_to_start(rupor: Rupor) -> None:
    listed = rupor("campaigns", "list")
    assert listed.exit_code == 0
    assert listed.stdout.startswith("Рассылок пока нет. Создать: rupor post")
