"""What the poll e2e tests share: young teachers to vote, the poll as the database has it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.polls.create import create_poll
from core.polls.results import PollResults, poll_results
from core.polls.spec import NewPoll
from core.storage.poll_tables import Poll, PollMessage
from sandbox.union import Actor
from tests.e2e.subs_support import SMALL, Rig, wait_for

# Half the members young teachers, many on two messengers, so every case has its member.
YOUNG_UNION = replace(SMALL, members=80, share_young=0.5, share_telegram=0.2, share_vk=0.2,
                      share_viber=0.2, share_two=0.4, share_unjoined=0.2)


def young_teacher(rig: Rig, platform: str) -> Actor:
    """An active young teacher on `platform` (each one once)."""
    for actor in rig.accounts(platform, "active"):
        if "young_teacher" in actor.person.roles:
            rig._taken.add((platform, actor.external_id))
            return actor
    raise LookupError(f"no young teacher on {platform}")


def outsider(rig: Rig, platform: str) -> Actor:
    """An active member who is not a young teacher (outside the default audience)."""
    for actor in rig.accounts(platform, "active"):
        if "young_teacher" not in actor.person.roles:
            rig._taken.add((platform, actor.external_id))
            return actor
    raise LookupError(f"no other member on {platform}")


async def polls(rig: Rig) -> list[Any]:
    async with rig.reader.connect() as conn:
        return list((await conn.execute(select(Poll).order_by(Poll.id))).all())


async def tallies(rig: Rig, poll_id: int, voters: int,
                  counts: tuple[int, ...] | None = None) -> PollResults:
    """The results once exactly `voters` people have voted (and the counts are `counts`)."""
    async def counted() -> PollResults | None:
        found = await poll_results(rig.reader, poll_id)
        fits = found.voters == voters and counts in (None, found.counts)
        return found if fits else None

    result: PollResults = await wait_for(counted, f"{voters} voters in poll {poll_id}",
                                         timeout=30)
    return result


def young_pair(rig: Rig) -> tuple[Actor, Actor]:
    """One young teacher's two active accounts, Telegram and VK."""
    for person in rig.union.people:
        a, b = person.account("telegram"), person.account("vk")
        if (a is not None and b is not None and "young_teacher" in person.roles
                and len(person.org_path) == 3 and a.state == b.state == "active"):
            rig._taken |= {("telegram", a.external_id), ("vk", b.external_id)}
            return (rig.union.find(f"telegram:{a.external_id}"),
                    rig.union.find(f"vk:{b.external_id}"))
    raise LookupError("no young teacher on both Telegram and VK")


async def start_poll(rig: Rig, question: str, closes_in: timedelta,
                     options: tuple[str, ...] = ("10 декабря", "17 декабря")) -> int:
    """What `rupor poll create --now` does, then the senders woken."""
    now = datetime.now(UTC)
    new = NewPoll(question, options, now + closes_in, created_by="e2e")
    created = await create_poll(rig.engine, new, list(rig.settings.channels()), now)
    if rig.suite is not None:
        for sender in rig.suite.senders.values():
            sender.wake()
    return created.poll_id


async def got_poll(actor: Actor, question: str) -> None:
    def arrived() -> bool:
        return any(question in line.text for line in actor.chat())

    await wait_for(arrived, f"{actor} to get the poll", timeout=30)


async def poll_recorded(rig: Rig, actor: Actor, poll_id: int) -> None:
    """The sender has recorded where the poll landed for `actor`. A vote cast before that
    is kept pending and counted once the record lands (test_polls_eager.py); a test that
    reads figures at once (turnout, reach) may still wait for it."""
    contact = await rig.contact(actor)
    assert contact is not None

    async def recorded() -> bool:
        found = await rig.count(PollMessage, PollMessage.poll_id == poll_id,
                                PollMessage.contact_id == contact.id)
        return found > 0

    who = f"{actor.platform}:{actor.external_id}"
    await wait_for(recorded, f"the poll's send to {who} recorded", timeout=30)

