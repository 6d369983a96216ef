"""kill -9 after persisting and before acknowledging (issue 16, item 4): `rupor run` as a
child process behind a front (tests/e2e/trust_support.py) that forwards the platforms'
webhook calls. For one chosen call the front lets our server store and handle the update
and answer 200, then kills the process with SIGKILL and answers the platform 502: the
update is on disk, the platform never heard so. `rupor run` is started again on the same
port; the platform's retry reaches it; the effect is there exactly once.

Chosen calls: a Telegram vote (poll_answer), a VK vote (message_event), a Viber vote (reply
button), a Telegram button press (the consent question), a member's Telegram message.

No production code knows about the test: the seam is the front, the way a load balancer in
front of a dying process loses its answer. The sandbox's Viber and VK give up retrying
within a second or ten; they are told to retry for about a minute here (real platforms keep
trying longer), so a restart of the child process has time to happen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bots.texts import DIALOG
from sandbox.runconfig import free_port
from sandbox.union import Actor
from tests.e2e.poll_support import (
    YOUNG_UNION,
    got_poll,
    poll_recorded,
    start_poll,
    tallies,
    young_teacher,
)
from tests.e2e.processes import Job, Launcher
from tests.e2e.subs_support import TG_SECRET, VK_SECRET, WEBHOOKS, Rig, answer, got, wait_for
from tests.e2e.trust_support import Call, RecordingFront

pytestmark = pytest.mark.long

START_S = 120.0  # a child's imports on a loaded machine
QUESTION = "Куда поехать летом?"
HOOKS = {c: f"/webhooks/{c}" for c in ("telegram", "vk", "viber")}


def write_config(rig: Rig, workdir: Path, port: int, public_url: str) -> Path:
    """config.toml for the child: the sandbox, webhook modes, our port behind the front."""
    assert rig.sandbox.config is not None
    sections: dict[str, dict[str, Any]] = {
        k: dict(v) for k, v in rig.sandbox.config.sections().items()}
    sections["telegram"].update(mode="webhook", webhook_secret=TG_SECRET)
    sections["telegram"].pop("staff_chat_id", None)
    sections["vk"].update(mode="callback", secret=VK_SECRET)
    sections["server"] = {"host": "127.0.0.1", "port": port, "public_url": public_url}
    sections["database"] = {"url": rig.settings.database.url}
    lines = []
    for name, keys in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {value if isinstance(value, int) else _quoted(value)}"
                  for key, value in keys.items() if value is not None]
        lines.append("")
    path = workdir / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _quoted(value: Any) -> str:
    import json

    return json.dumps(str(value), ensure_ascii=False)


def patient_platforms(rig: Rig) -> None:
    """VK and Viber retry a failed callback for about a minute (see the module docstring)."""
    vk = rig.sandbox.vk.world.callbacks
    vk._knobs = replace(vk._knobs, callback_attempts=12, callback_backoff_s=1.0)
    viber = rig.sandbox.viber._platform.callbacks
    viber.knobs = replace(viber.knobs, callback_retry_delays_s=(1.0, 2.0, 4.0, 8.0, 16.0, 32.0))


async def healthy(port: int) -> bool:
    try:
        async with (aiohttp.ClientSession() as http,
                    http.get(f"http://127.0.0.1:{port}/healthz") as answer):
            return answer.status == 200
    except aiohttp.ClientError:
        return False


class Child:
    """`rupor run` in a child process, started again after each kill."""

    def __init__(self, launcher: Launcher, config: Path, workdir: Path, port: int) -> None:
        self.launcher, self.config, self.workdir, self.port = launcher, config, workdir, port
        self.job: Job | None = None

    async def start(self) -> None:
        self.job = await self.launcher.start(["--config", str(self.config), "run"],
                                             self.workdir, "run")
        job = self.job

        async def up() -> bool:
            if not job.alive():
                raise AssertionError(job.output())
            return await healthy(self.port)

        await wait_for(up, "rupor run to serve with every channel running", timeout=START_S)

    def kill(self) -> None:
        assert self.job is not None
        self.job.kill()


def stored(db: Path, key: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM inbound WHERE platform_event_id LIKE ?",
                                (f"%{key}%",)).fetchone()[0])


def event_key(call: Call) -> str:
    """The part of the update our inbox keys it by (bots/*/inbound.py)."""
    body = call.json()
    if call.path == HOOKS["telegram"]:
        return str(body["update_id"])
    if call.path == HOOKS["vk"]:
        return str(body["event_id"])
    return str(body["message_token"])


async def killed_and_retried(front: RecordingFront, child: Child, doom: Callable[[Any], bool],
                             path: str, act: Callable[[], None], db: Path) -> Call:
    """Do `act`; the chosen call is stored, its answer lost, the process killed; start it
    again; wait for the platform's retry to be answered 200. The lost call."""
    front.lost.clear()
    front.doom = lambda call: call.path == path and bool(doom(call.json()))
    front.kill = child.kill
    act()
    await wait_for(lambda: front.lost, f"the answer to a {path} call to be lost")
    lost = front.lost[0]
    assert child.job is not None
    await wait_for(lambda: not child.job.alive(), "the child to die")  # type: ignore[union-attr]
    assert stored(db, event_key(lost)) >= 1  # persisted before it was acknowledged
    mark = len(front.calls)
    front.doom = None
    await child.start()
    await wait_for(lambda: any(c.body == lost.body and c.status == 200
                               for c in front.calls[mark:]), "the platform's retry", timeout=90)
    return lost


async def test_kill_9_after_storing_and_before_acknowledging(
    rigs: list[Rig], tmp_path: Path, db_url: str, launcher: Launcher
) -> None:
    launcher.warm_up()
    rig = await Rig.open(tmp_path, db_url, WEBHOOKS, YOUNG_UNION)
    rigs.append(rig)
    patient_platforms(rig)
    port = free_port()
    front = RecordingFront(f"http://127.0.0.1:{port}")
    try:
        url = await front.start()
        config = write_config(rig, tmp_path, port, url)
        db = Path(rig.settings.database.url.removeprefix("sqlite:///"))
        child = Child(launcher, config, tmp_path, port)
        voters = {p: young_teacher(rig, p) for p in HOOKS}
        writer, newcomer = rig.subscriber("telegram"), rig.newcomer("telegram")
        await child.start()
        poll_id = await start_poll(rig, QUESTION, timedelta(hours=1))
        for actor in voters.values():
            await got_poll(actor, QUESTION)
            await poll_recorded(rig, actor, poll_id)
        await votes_survive(rig, front, child, voters, poll_id, db)
        await press_and_message_survive(front, child, newcomer, writer, db)
    finally:
        front.doom = None
        await front.close()


async def votes_survive(rig: Rig, front: RecordingFront, child: Child,
                        voters: dict[str, Actor], poll_id: int, db: Path) -> None:
    picks: dict[str, Callable[[Any], bool]] = {
        "telegram": lambda b: "poll_answer" in b,
        "vk": lambda b: b.get("type") == "message_event",
        "viber": lambda b: b.get("event") == "message",
    }
    for count, (platform, actor) in enumerate(voters.items(), start=1):
        lost = await killed_and_retried(front, child, picks[platform], HOOKS[platform],
                                        lambda a=actor: a.vote(1), db)  # type: ignore[misc]
        assert stored(db, event_key(lost)) == 1
        await tallies(rig, poll_id, voters=count, counts=(count, 0))


async def press_and_message_survive(front: RecordingFront, child: Child, newcomer: Actor,
                                    writer: Actor, db: Path) -> None:
    await answer(newcomer, lambda: newcomer.start(None), contains="согласие")
    lost = await killed_and_retried(front, child, lambda b: "callback_query" in b,
                                    HOOKS["telegram"],
                                    lambda: newcomer.press(DIALOG.consent_yes), db)
    await wait_for(got(newcomer, "район"), "the next question after the consent")
    assert stored(db, event_key(lost)) == 1
    assert sum("район" in line.text for line in newcomer.chat()) == 1
    with sqlite3.connect(db, timeout=30) as conn:
        consents = conn.execute(
            "SELECT COUNT(*) FROM consents k JOIN contacts c ON c.id = k.contact_id "
            "WHERE c.channel = 'telegram' AND c.external_id = ?",
            (newcomer.external_id,)).fetchone()[0]
    assert consents == 1

    words = "Когда будет перерасчёт отпускных?"
    lost = await killed_and_retried(front, child, lambda b: words in str(b),
                                    HOOKS["telegram"], lambda: writer.say(words), db)
    await wait_for(got(writer, "Спасибо"), "the thanks for the question")
    assert stored(db, event_key(lost)) == 1
    assert sum("Спасибо" in line.text for line in writer.chat()) == 1
