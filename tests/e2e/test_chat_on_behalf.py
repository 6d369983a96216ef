"""Commands that are not the sender's own, through the emulated Telegram, the real adapter
and the chat layer: a press secretary's forwarded /post (each kind of Bot API
forward_origin) and a /post or /plan written in a group by an anonymous administrator or on
behalf of a channel (sender_chat). Each is refused with core.access's Russian text,
audited as refused, and changes nothing: no draft, no campaign."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from core.access.texts import REFUSALS
from sandbox.runner import TELEGRAM_TOKEN
from tests.e2e.chat_support import campaigns, make_press, press_rig
from tests.e2e.subs_support import POLLING, Rig, answer, wait_for


def _database(rig: Rig) -> sqlite3.Connection:
    return sqlite3.connect(rig.settings.database.url.removeprefix("sqlite:///"))


def _refusals(rig: Rig, refusal: str) -> list[tuple[str, str]]:
    with _database(rig) as conn:
        rows = conn.execute("SELECT action, details FROM audit WHERE result = 'refused'")
        return [(action, json.loads(details or "{}").get("refusal")) for action, details in rows
                if json.loads(details or "{}").get("refusal") == refusal]


def _drafts(rig: Rig) -> list[str]:
    """Chat states with an open /post draft."""
    with _database(rig) as conn:
        rows = conn.execute("SELECT value FROM state WHERE key LIKE 'chat:%'").fetchall()
    return [value for (value,) in rows if json.loads(value).get("step")]


async def test_a_forwarded_command_is_refused(rigs: list[Rig], tmp_path: Path,
                                              db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, colleague = rig.subscriber("telegram"), rig.subscriber("telegram")
    await make_press(rig, secretary)
    await rig.start()
    telegram = rig.sandbox.telegram
    group = telegram.add_group("Профком", member_ids=[int(colleague.external_id)])
    channel = telegram.add_channel("Новости профсоюза", username="prof_news")
    sources: dict[str, dict[str, Any]] = {
        "user": {"from_user": int(colleague.external_id)},
        "hidden_user": {"hidden_name": "Скрытый отправитель"},
        "chat": {"from_chat": group},
        "channel": {"from_chat": channel, "message_id": 7},
    }
    for origin, source in sources.items():
        await answer(secretary, lambda o=origin, s=source: telegram.forward_text(
            TELEGRAM_TOKEN, int(secretary.external_id), "/post", o, **s),
            contains=REFUSALS["forwarded"])
    assert await campaigns(rig) == []
    assert _drafts(rig) == []
    assert _refusals(rig, "forwarded") == [("chat.post", "forwarded")] * len(sources)
    # Not forwarded, the same command opens the dialogue.
    await answer(secretary, lambda: secretary.say("/post"), contains="Пришлите текст")


async def test_a_command_on_behalf_of_a_chat_is_refused(rigs: list[Rig], tmp_path: Path,
                                                        db_url: str) -> None:
    rig, secretary = await press_rig(rigs, tmp_path, db_url, "telegram")
    telegram = rig.sandbox.telegram
    group = telegram.add_group("Аппарат комитета", member_ids=[int(secretary.external_id)])
    channel = telegram.add_channel("Канал комитета")
    telegram.add_bot_to_group(TELEGRAM_TOKEN, group)
    telegram.message_on_behalf(group, "/post", signature="Пресс-служба")
    telegram.message_on_behalf(group, "/plan", as_chat=channel)

    def refused() -> list[str]:
        log = telegram.chat_log(TELEGRAM_TOKEN, group)
        return [m["text"] for m in log if m.get("text") == REFUSALS["anonymous"]]

    assert len(await wait_for(lambda: len(refused()) == 2 and refused(),
                              "two refusals in the group")) == 2
    assert await campaigns(rig) == []
    assert _drafts(rig) == []
    # Refused before the command is looked at: both audited as the post they might start.
    assert _refusals(rig, "anonymous") == [("chat.post", "anonymous")] * 2
