"""Members who vote the instant their poll arrives (issue 15, the race in docs/design.md
"Polls"): the emulators call a hook for every bot message they accept — before they answer
the bot's sendPoll or messages.send — and the member presses at the next turn of the loop,
so the vote reaches Rupor's webhook while the sender has not yet recorded where the poll
landed. No test waits for that record here: every vote counts, exactly, on Telegram (native
poll), VK (callback buttons) and Viber (reply buttons)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from core.storage.poll_tables import PollPendingVote
from sandbox.union import Actor, ChatLine
from sandbox.union.chat import ActionError
from tests.e2e.poll_support import YOUNG_UNION, start_poll, tallies
from tests.e2e.subs_support import WEBHOOKS, Rig, wait_for

QUESTION = "Когда провести школу молодого педагога?"
OPTIONS = ("в марте", "в апреле", "в мае")
PER_CHANNEL = 4
SLOW_S = 0.5


async def test_votes_cast_on_arrival_count_exactly(rigs: list[Rig], tmp_path: Path,
                                                    db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, WEBHOOKS, YOUNG_UNION)
    rigs.append(rig)
    voters = {(actor.platform, actor.external_id): i % len(OPTIONS)
              for i, actor in enumerate(_young_people(rig))}
    cast: list[tuple[str, str]] = []
    loop = asyncio.get_running_loop()

    def on_arrival(line: ChatLine) -> None:
        key = (line.platform, line.member)
        if key in voters and line.buttons and QUESTION in line.text and key not in cast:
            cast.append(key)
            loop.call_soon(_vote, rig, line, voters[key])

    rig.union.add_message_hook(on_arrival)
    await rig.start()
    _slow_answers(rig)
    watch = PendingWatch(rig)
    watcher = asyncio.create_task(watch.run())
    try:
        poll_id = await start_poll(rig, QUESTION, timedelta(hours=1), OPTIONS)
        await wait_for(lambda: len(cast) == len(voters), "every voter's poll", timeout=60)
        expected = tuple(list(voters.values()).count(o) for o in range(len(OPTIONS)))
        found = await tallies(rig, poll_id, voters=len(voters), counts=expected)
    finally:
        watch.done = True
        await watcher
    assert found.reached >= len(voters)
    assert watch.most > 0, "no vote came before its poll's record: the race was not run"
    assert await rig.count(PollPendingVote) == 0


def _slow_answers(rig: Rig) -> None:
    """Each platform accepts a send at once and answers SLOW_S later, as over a slow
    network: the member's vote (sent at once) reaches Rupor before the sender records."""
    rig.sandbox.telegram.set_faults(p_timeout=1.0, hang_s=SLOW_S)  # accepted, answer held
    rig.sandbox.vk.set_faults(latency_s=SLOW_S)  # VK adds latency after handling a call
    platform = rig.sandbox.viber._platform  # so does Viber (no set_faults: its knobs)
    platform.knobs = replace(platform.knobs, latency_s=SLOW_S)


class PendingWatch:
    """The most votes seen waiting for their poll's record at once."""

    def __init__(self, rig: Rig) -> None:
        self.rig, self.most, self.done = rig, 0, False

    async def run(self) -> None:
        while not self.done:
            self.most = max(self.most, await self.rig.count(PollPendingVote))
            await asyncio.sleep(0.02)


def _young_people(rig: Rig) -> list[Actor]:
    """PER_CHANNEL young teachers on each messenger, each a different person."""
    chosen: list[Actor] = []
    for platform in ("telegram", "vk", "viber"):
        found = [actor for actor in rig.accounts(platform, "active")
                 if "young_teacher" in actor.person.roles
                 and all(actor.person is not other.person for other in chosen)]
        chosen += found[:PER_CHANNEL]
    assert len(chosen) == 3 * PER_CHANNEL
    return chosen


def _vote(rig: Rig, line: ChatLine, option: int) -> None:
    actor = rig.union.find(f"{line.platform}:{line.member}")
    try:
        if line.options:  # Telegram's native poll
            actor.vote(option + 1, line)
        else:  # VK and Viber: the poll's buttons
            actor.press(option + 1, line)
    except ActionError as error:  # the test fails on the tallies, saying why here
        raise AssertionError(f"{actor} could not vote: {error}") from error
