"""core.sending.dispatch.ChannelSender with ViberChannel against the emulator, at the real
ceiling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import String, case, cast, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.viber.capabilities import CAPABILITIES
from core.audience.roles import Role
from core.campaigns.store import NewCampaign, create_campaign
from core.sending import outbox, runs
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.storage.models import Contact, Delivery, Person
from sandbox.viber import ViberKnobs
from tests.factories import make_union
from tests.integration.test_viber_support import (  # noqa: F401 - the fixture is used by name
    TOKEN,
    Make,
    Setup,
    make_viber_fixture,
)

POLICY = Policy(max_attempts=3, backoff_base_s=0.05, backoff_cap_s=0.2)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def union_on_viber(engine: AsyncEngine, members: int) -> list[str]:
    """`members` people over the factory's schools, each with an active Viber contact
    "<100000 + n>"; returns the contact ids.

    Set-based (INSERT ... SELECT from a recursive CTE): tests.factories.add_members inserts
    row by row (about 0.8 ms a row on SQLite), which is 50 s for 30,000 members.
    """
    union = await make_union(engine)
    schools = list(union.schools.values())
    n = select(literal(0).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < members - 1))
    member_id = literal("V") + cast(n.c.i, String)
    school = case({k: org for k, org in enumerate(schools)}, value=n.c.i % len(schools))
    people = select(member_id, member_id, literal("Член ") + cast(n.c.i, String), school,
                    literal(int(Role.MEMBER)))
    contacts = select(
        Person.id, literal("viber"),
        cast(func.substr(Person.member_id, 2) + 100000, String), literal("active"),
    ).where(Person.member_id.like("V%"))
    async with engine.begin() as conn:
        await conn.execute(insert(Person).from_select(
            ["member_id", "member_id_key", "full_name", "org_id", "roles"], people))
        await conn.execute(insert(Contact).from_select(
            ["person_id", "channel", "external_id", "status"], contacts))
    return [str(100000 + i) for i in range(members)]


async def post_and_send(engine: AsyncEngine, viber: Setup) -> dict[str, int]:
    campaign = await create_campaign(
        engine, NewCampaign(text="**Листовка** за декабрь"), {"viber": CAPABILITIES}
    )
    started = await runs.start_run(engine, campaign, datetime.now(UTC), ["viber"])
    await runs.materialise(engine, started.run_id)
    sender = ChannelSender(engine, viber.channel, POLICY)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))

    async def idle() -> bool:
        return await outbox.pending_count(engine, ["viber"]) == 0

    try:
        await eventually(idle)
    finally:
        stop.set()
        await task
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(Delivery.status, func.count()).where(Delivery.run_id == started.run_id)
            .group_by(Delivery.status)
        )
        return {status: int(count) for status, count in rows.all()}


async def test_30000_members_at_the_default_ceiling_with_no_rate_errors(
    engine: AsyncEngine, make_viber: Make,
) -> None:
    members = await union_on_viber(engine, 30_000)
    viber = await make_viber(subscribers=members)
    # set_webhook (starting the channel) is not a send and is not paced; it may share the
    # first second with 60 sends. The platform's own limit is 500 requests per 10 s.
    setup_requests = viber.stats()["requests_total"]
    assert await post_and_send(engine, viber) == {"sent": 30_000}
    stats = viber.stats()
    assert stats["status_12"] == 0 and stats["violations"] == 0
    assert stats["max_requests_in_rate_window"] <= 500
    assert stats["accepted_messages_total"] == 30_000
    assert set(stats["accepted_messages_by_receiver"].values()) == {1}
    # Claims are cut into calls per wave, so a few calls carry fewer than 300.
    assert sum(stats["broadcast_sizes"]) == 30_000 and max(stats["broadcast_sizes"]) == 300
    assert stats["broadcasts"] <= 110
    assert stats["max_requests_in_1s"] <= 60 + setup_requests and stats["token_in_body"] == 0


async def test_without_broadcast_approval_everyone_gets_one_message_by_send_message(
    engine: AsyncEngine, make_viber: Make,
) -> None:
    members = await union_on_viber(engine, 120)
    viber = await make_viber(ViberKnobs(auth_token=TOKEN, broadcast_approved=False),
                             subscribers=members)
    assert await post_and_send(engine, viber) == {"sent": 120}
    stats = viber.stats()
    assert viber.channel.capabilities.max_recipients_per_call == 1
    assert stats["accepted_messages_by_endpoint"] == {"send_message": 120}
    assert set(stats["accepted_messages_by_receiver"].values()) == {1}
    assert stats["requests"]["send_message"] == 120  # one receiver per call after the switch
    assert stats["requests"]["broadcast_message"] == stats["errors_by_status"]["20"]
    assert stats["status_12"] == 0 and stats["violations"] == 0


async def test_injected_status_12_is_waited_out_with_no_request_inside(
    engine: AsyncEngine, make_viber: Make,
) -> None:
    # Seed 1: the set_webhook call passes, then two of the first broadcasts get status 12.
    members = await union_on_viber(engine, 1_800)
    knobs = replace(ViberKnobs(auth_token=TOKEN, seed=1), p_429=0.1)
    viber = await make_viber(knobs, subscribers=members)
    assert await post_and_send(engine, viber) == {"sent": 1_800}
    stats = viber.stats()
    assert stats["faults_injected"]["status_12"] >= 1
    assert stats["violations"] == 0
    assert set(stats["accepted_messages_by_receiver"].values()) == {1}
