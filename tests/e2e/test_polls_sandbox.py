"""Votes through the sandbox on all three messengers (issue 15, item 7): Telegram's native
poll, VK callback buttons (and text buttons for an older VK app), Viber reply buttons and a
typed option number; a repeated answer, a change, a withdrawal, a member on two messengers
counted once with their latest choice, a vote from outside the audience, votes after the
deadline ("опрос завершён", Telegram's poll stopped), and a deadline that passes while
`rupor run` is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from core.polls.closing import close_poll
from core.storage.poll_tables import Poll
from sandbox.union import ActionError, Actor
from tests.e2e.poll_support import (
    YOUNG_UNION,
    got_poll,
    outsider,
    start_poll,
    tallies,
    young_pair,
    young_teacher,
)
from tests.e2e.subs_support import POLLING, Rig, wait_for

QUESTION = "Какая дата форума удобнее?"


def _tg_poll_closed(rig: Rig, actor: Actor) -> bool:
    line = next(line for line in actor.chat() if line.poll_id)
    return bool(rig.sandbox.telegram.poll(str(line.poll_id))["is_closed"])


async def test_votes_on_three_messengers(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, YOUNG_UNION)
    rigs.append(rig)
    tg, vk, vb = (young_teacher(rig, p) for p in ("telegram", "vk", "viber"))
    older, (both_tg, both_vk) = young_teacher(rig, "vk"), young_pair(rig)
    stranger = outsider(rig, "vk")
    rig.sandbox.vk.use_old_client(int(older.external_id))
    await rig.start()
    older.say("Здравствуйте")  # message_new tells the adapter this app has no callbacks
    vk_channel = rig.suite.channels["vk"]  # type: ignore[union-attr]
    await wait_for(lambda: int(older.external_id) in vk_channel.clients.text_only,
                   "the older VK app noted")
    poll_id = await start_poll(rig, QUESTION, timedelta(hours=1))
    for actor in (tg, vk, vb, older, both_tg, both_vk):  # votes as soon as it shows
        await got_poll(actor, QUESTION)
    assert all(b.kind == "text" for b in older.last_with_buttons().pressable)

    tg.vote(1)
    tg.vote(1)  # the same answer again: one vote
    vk.vote(2)
    await tallies(rig, poll_id, voters=2, counts=(1, 1))
    vk.vote(1)  # changed
    vb.vote(2)
    await tallies(rig, poll_id, voters=3, counts=(2, 1))
    vb.vote(2)  # the chosen option again: withdrawn
    older.vote(2)  # a text button
    both_tg.vote(1)
    await tallies(rig, poll_id, voters=4, counts=(3, 1))
    both_vk.vote(2)  # the same person on VK: their latest choice
    rig.sandbox.vk.write(int(stranger.external_id), "17 декабря",
                         payload=f'{{"rupor":"vote:{poll_id}:1"}}')  # not in the audience
    # tg, vk → 1; older, the pair's latest → 2; the stranger not counted
    await tallies(rig, poll_id, voters=4, counts=(2, 2))
    vb.say("1")  # typed under the poll: Viber returns the message's tracking_data with it
    await tallies(rig, poll_id, voters=5, counts=(3, 2))

    await close_poll(rig.engine, poll_id, "e2e", datetime.now(UTC))  # rupor poll close
    await wait_for(lambda: _tg_poll_closed(rig, tg), "Telegram's poll stopped", timeout=30)
    try:
        tg.vote(2)
        raise AssertionError("a stopped Telegram poll took a vote")
    except ActionError:
        pass
    for actor in (vk, vb):
        before = len(actor.chat())
        actor.vote(1)
        await wait_for(lambda a=actor, n=before: any(
            "завершён" in line.text for line in a.chat()[n:]), f"{actor} told it is closed")
    await tallies(rig, poll_id, voters=5, counts=(3, 2))


async def test_the_deadline_crosses_a_restart(rigs: list[Rig], tmp_path: Path, db_url: str
                                              ) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING, YOUNG_UNION)
    rigs.append(rig)
    member = young_teacher(rig, "telegram")
    await rig.start()
    # A deadline far enough ahead that a loaded machine still takes the vote in time; while
    # the suite is down the deadline is moved into the past, as a long downtime would.
    poll_id = await start_poll(rig, QUESTION, timedelta(minutes=10))
    await got_poll(member, QUESTION)
    member.vote(2)
    await tallies(rig, poll_id, voters=1)
    await rig.stop()
    async with rig.engine.begin() as conn:
        await conn.execute(update(Poll).where(Poll.id == poll_id).values(
            closes_at=datetime.now(UTC) - timedelta(seconds=1)))
    await rig.start()
    await wait_for(lambda: _tg_poll_closed(rig, member), "the poll stopped after the restart",
                   timeout=30)
    found = await tallies(rig, poll_id, voters=1)
    assert found.closed_at is not None and found.counts == (0, 1)
