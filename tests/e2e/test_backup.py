"""`rupor backup` while `rupor run` sends a campaign: the copy is one consistent moment of
the live SQLite database (integrity ok, every delivery of the run there, some already sent
and some still waiting); PostgreSQL is refused with the pg_dump line."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from click.testing import CliRunner

from bots.cli.main import cli
from bots.startup import Backoff
from bots.suite import Suite
from core.campaigns.store import NewCampaign
from tests.e2e.rig import eventually, import_union, open_rig, post

MEMBERS = 200
TIMEOUT_S = 60.0
# Telegram at 5 messages/s keeps the run sending for several seconds: the copy is taken
# while the senders write results.
SLOW = {"telegram_ceiling": 5}


def counts(path: Path, run_id: int) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM deliveries WHERE run_id = ? "
                            "GROUP BY status", (run_id,)).fetchall()
        people = conn.execute("SELECT COUNT(*) FROM people").fetchone()[0]
    return {"people": people, **{status: n for status, n in rows}}


async def test_backup_during_a_campaign_is_a_consistent_copy(tmp_path: Path) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=MEMBERS, sending=SLOW)
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        await import_union(rig)
        _, run_id = await post(rig, NewCampaign(text="Собрание профкома", title="Собрание"))
        config = rig.write_config()
        suite = Suite(rig.settings(), start_backoff=Backoff(first_s=0.2, max_s=1.0))
        task = asyncio.create_task(suite.run(stop))
        live = tmp_path / "rupor.sqlite3"
        await eventually(lambda: counts(live, run_id).get("sent", 0) > 20, TIMEOUT_S,
                         "sending to be under way")
        copy = tmp_path / "копия.sqlite3"
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, ["--config", str(config), "backup", "--out", str(copy)])
        assert result.exit_code == 0, result.output
        assert str(copy) in result.output and "проверка целостности пройдена" in result.output
        assert "Восстановить: остановите rupor run" in result.output
        with closing(sqlite3.connect(copy)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        during = counts(copy, run_id)
        assert during["people"] == counts(live, run_id)["people"] > 0
        assert during.get("sent", 0) > 0 and during.get("pending", 0) > 0, during  # mid-run
        total = sum(n for status, n in during.items() if status != "people")
        stop.set()
        await asyncio.wait_for(task, TIMEOUT_S)
        after = counts(live, run_id)
        assert total == sum(n for status, n in after.items() if status != "people")
        assert after.get("sent", 0) >= during["sent"]
        assert not list(tmp_path.glob("*.part"))
    finally:
        stop.set()
        if task is not None and not task.done():
            await asyncio.wait_for(task, TIMEOUT_S)
        await rig.close()


def test_backup_of_postgresql_is_refused_with_pg_dump(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[database]\nurl = "postgresql://rupor@localhost/rupor"\n',
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "backup"])
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "pg_restore" in result.output


def test_backup_default_name_beside_the_database(tmp_path: Path) -> None:
    database = tmp_path / "rupor.sqlite3"
    with closing(sqlite3.connect(database)) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO people DEFAULT VALUES")
        conn.commit()
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "backup"])
    assert result.exit_code == 0, result.output
    (made,) = tmp_path.glob("rupor-backup-*.sqlite3")
    assert "членов профсоюза — 1" in result.output and made.name in result.output
