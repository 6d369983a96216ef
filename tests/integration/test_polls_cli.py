"""`rupor poll create | list | results | close` (issue 15, item 1's command-line half):
Russian output, one-line refusals, the preview, live results with a vote, the chart."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bots.texts import DIALOG
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import PollAnswer, Sender
from core.sending.recording import RecordingChannel
from core.storage.engine import create_engine
from tests.integration.cli_support import rupor_with_members
from tests.unit.test_queue import drain

CREATE = ("poll", "create", "--question", "Какая дата форума удобнее?", "--option",
          "10 декабря", "--option", "17 декабря", "--to", "all", "--until", "2030-12-20T18:00")


async def _deliver_and_vote(url: str) -> None:
    engine = create_engine(url)
    try:
        channel = RecordingChannel("telegram")
        await drain(engine, channel)
        inbox = Inbox(engine, Dialogs(DIALOG))
        async with engine.connect() as conn:
            from sqlalchemy import text

            landing = (await conn.execute(text(
                "SELECT c.external_id, pm.platform_poll_id FROM poll_messages pm JOIN contacts "
                "c ON c.id = pm.contact_id ORDER BY c.external_id LIMIT 1"))).one()
        await inbox.receive(PollAnswer("u1", Sender("telegram", landing[0]), landing[1], (1,)))
    finally:
        await engine.dispose()


def test_create_list_results_close(tmp_path: Path) -> None:
    rupor = rupor_with_members(tmp_path)
    created = rupor(*CREATE, "--remind", "2030-12-19T12:00", "--announce-members")
    assert created.exit_code == 0, created.output
    assert "Опрос №1 создан" in created.output and "telegram" in created.output
    assert "Закроется" in created.output and "Напоминание" in created.output
    asyncio.run(_deliver_and_vote(f"sqlite:///{tmp_path / 'rupor.sqlite3'}"))
    listed = rupor("poll", "list", "--json")
    assert json.loads(listed.output)[0]["voters"] == 1
    assert "открыт" in rupor("poll", "list").output
    found = json.loads(rupor("poll", "results", "1", "--json").output)
    assert (found["reached"], found["voters"], found["counts"]) == (2, 1, [0, 1])
    assert found["districts"][0]["name"] == "Ленинский район"
    chart = tmp_path / "итоги.png"
    shown = rupor("poll", "results", "1", "--png", str(chart))
    assert "Проголосовали 1 из 2" in shown.output and chart.read_bytes()[:4] == b"\x89PNG"
    assert rupor("poll", "close", "1").exit_code == 0
    assert asyncio.run(_announces(f"sqlite:///{tmp_path / 'rupor.sqlite3'}"))
    again = rupor("poll", "close", "1")
    assert again.exit_code == 1 and "уже завершён" in again.output


def test_refusals_are_one_russian_line(tmp_path: Path) -> None:
    rupor = rupor_with_members(tmp_path)
    cases = [
        (("poll", "create", "--question", "Вопрос?", "--option", "Да", "--until",
          "2030-12-20T18:00"), "от 2 до 10"),
        (("poll", "create", "--question", "В" * 301, "--option", "Да", "--option", "Нет",
          "--until", "2030-12-20T18:00"), "длиннее 300"),
        ((*CREATE[:-1], "вчера"), "--until"),
        ((*CREATE, "--remind", "2030-12-21T10:00"), "Напоминание"),
        (("poll", "results", "7"), "Опроса №7 нет"),
    ]
    for args, said in cases:
        result = rupor(*args)
        assert result.exit_code in (1, 2) and said in result.output, (args, result.output)
        assert result.output.count("\n") == 1


async def _announces(url: str) -> bool:
    """The poll was created to tell its members the results (--announce-members)."""
    from sqlalchemy import select

    from core.storage.engine import create_engine
    from core.storage.poll_tables import Poll

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return bool((await conn.execute(select(Poll.announce_members))).scalar())
    finally:
        await engine.dispose()
