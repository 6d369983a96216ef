"""What the poll e2e tests share: young teachers to vote, the poll as the database has it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from core.polls.results import PollResults, poll_results
from core.storage.poll_tables import Poll
from sandbox.union import Actor
from tests.e2e.subs_support import SMALL, Rig, wait_for

# Half the members young teachers, so every messenger has several.
YOUNG_UNION = replace(SMALL, share_young=0.5)


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


async def tallies(rig: Rig, poll_id: int, voters: int) -> PollResults:
    """The results once exactly `voters` people have voted."""
    async def counted() -> PollResults | None:
        found = await poll_results(rig.reader, poll_id)
        return found if found.voters == voters else None

    result: PollResults = await wait_for(counted, f"{voters} voters in poll {poll_id}",
                                         timeout=30)
    return result
