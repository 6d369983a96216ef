"""The queue is the ledger: materialising, sending once, retries, pauses, crashes, reach."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.audience import contacts
from core.audience.segments import parse_segment, resolve_segment
from core.campaigns.store import NewCampaign, create_campaign
from core.ports import DeliveryResult, Status
from core.reach.report import reach_report
from core.sending import outbox, runs
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.recording import FAST, RecordingChannel
from core.storage.models import CampaignRun, Contact, Delivery
from tests.factories import add_members, make_union

FAST_RETRY = Policy(max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.05)
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def post(engine: AsyncEngine, channels: list[str], **kwargs: object) -> int:
    caps = {name: FAST for name in channels}
    new = NewCampaign(text="**Листовка** за декабрь", **kwargs)  # type: ignore[arg-type]
    campaign_id = await create_campaign(engine, new, caps)
    started = await runs.start_run(engine, campaign_id, AT, channels)
    await runs.materialise(engine, started.run_id)
    return started.run_id


async def drain(
    engine: AsyncEngine, *channels: RecordingChannel, policy: Policy = FAST_RETRY
) -> list[ChannelSender]:
    senders = [ChannelSender(engine, c, policy) for c in channels]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in senders]
    names = [c.name for c in channels]

    async def idle() -> bool:
        return await outbox.pending_count(engine, names) == 0

    try:
        await eventually(idle)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return senders


async def statuses(engine: AsyncEngine, run_id: int) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(Delivery.status, func.count())
            .where(Delivery.run_id == run_id)
            .group_by(Delivery.status)
        )
        return {s: int(n) for s, n in rows.all()}


async def test_materialise_targets_every_contact_and_records_the_unreachable(
    engine: AsyncEngine,
) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 300, {"tg": 0.5, "vk": 0.4})
    async with engine.connect() as conn:
        active = (await conn.execute(select(func.count()).select_from(Contact))).scalar_one()
        with_contact = (
            await conn.execute(select(func.count(func.distinct(Contact.person_id))))
        ).scalar_one()
    run_id = await post(engine, ["tg", "vk"])
    counts = await statuses(engine, run_id)
    assert counts["pending"] == active
    assert counts["skipped"] == 300 - with_contact
    async with engine.connect() as conn:
        status = (await conn.execute(select(CampaignRun.status))).scalar_one()
    assert status == "sending"


async def test_start_run_and_materialise_are_idempotent(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 50, {"tg": 1.0})
    campaign_id = await create_campaign(engine, NewCampaign(text="x"), {"tg": FAST})
    first = await runs.start_run(engine, campaign_id, AT, ["tg"])
    second = await runs.start_run(engine, campaign_id, AT, ["tg"])
    assert first.run_id == second.run_id and first.created and not second.created
    await runs.materialise(engine, first.run_id)
    await runs.materialise(engine, first.run_id)
    assert await statuses(engine, first.run_id) == {"pending": 50}


async def test_materialise_resumes_after_a_crash_between_chunks(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    people = await add_members(engine, union, 120, {"tg": 1.0})
    campaign_id = await create_campaign(engine, NewCampaign(text="x"), {"tg": FAST})
    run_id = (await runs.start_run(engine, campaign_id, AT, ["tg"])).run_id
    # The first chunk commits with its progress mark, then the process "dies".
    async with AsyncSession(engine) as session:
        run = (await session.execute(select(CampaignRun))).scalar_one()
        resolved = await resolve_segment(session, parse_segment("all"))
    await runs._chunk(engine, run, "all", resolved, 0, people[0] + 39)
    assert (await statuses(engine, run_id)) == {"pending": 40}
    await runs.materialise(engine, run_id, chunk=25)
    assert (await statuses(engine, run_id)) == {"pending": 120}


async def test_every_active_contact_gets_exactly_one_message(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 400, {"tg": 0.6, "vk": 0.5})
    run_id = await post(engine, ["tg", "vk"])
    tg, vk = RecordingChannel("tg"), RecordingChannel("vk")
    await drain(engine, tg, vk)
    for channel in (tg, vk):
        recipients = [who for who, _ in channel.sent]
        assert len(recipients) == len(set(recipients))
        assert len(recipients) == sum(1 for (c, _) in union.contacts if c == channel.name)
    counts = await statuses(engine, run_id)
    assert counts["sent"] == len(union.contacts)


async def test_blocked_members_are_marked_and_never_retried(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 100, {"tg": 1.0})
    blocked = {"100003", "100050"}

    def script(recipient: str, attempt: int) -> DeliveryResult | None:
        if recipient in blocked:
            return DeliveryResult(recipient, Status.BLOCKED, error="Forbidden: bot was blocked")
        return None

    await post(engine, ["tg"])
    tg = RecordingChannel("tg", script=script)
    await drain(engine, tg)
    assert all(tg.attempts[b] == 1 for b in blocked)
    async with engine.connect() as conn:
        marked = (
            (await conn.execute(select(Contact.external_id).where(Contact.status == "blocked")))
            .scalars()
            .all()
        )
    assert set(marked) == blocked
    # The next campaign does not try them at all.
    run2 = await post(engine, ["tg"], title="второй")
    await drain(engine, tg)
    assert all(tg.attempts[b] == 1 for b in blocked)
    assert (await statuses(engine, run2))["blocked"] == 2


async def test_transient_failures_retry_with_backoff_then_fail(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 20, {"tg": 1.0})

    def script(recipient: str, attempt: int) -> DeliveryResult | None:
        if recipient == "100001" and attempt < 3:
            return DeliveryResult(recipient, Status.FAILED, error="502 Bad Gateway")
        if recipient == "100002":
            return DeliveryResult(recipient, Status.FAILED, error="502 Bad Gateway")
        return None

    run_id = await post(engine, ["tg"])
    tg = RecordingChannel("tg", script=script)
    await drain(engine, tg)
    assert tg.attempts["100001"] == 3 and tg.attempts["100002"] == FAST_RETRY.max_attempts
    assert await statuses(engine, run_id) == {"sent": 19, "failed": 1}


async def test_retry_after_pauses_the_channel_with_no_request_inside(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 60, {"tg": 1.0})
    announced: list[float] = []

    def script(recipient: str, attempt: int) -> DeliveryResult | None:
        if recipient == "100010" and attempt == 1:
            announced.append(time.monotonic())
            return DeliveryResult(recipient, Status.RETRY_AFTER, retry_after=0.4)
        return None

    slow = replace(FAST, calls_per_second=200, max_recipients_per_call=1)
    run_id = await post(engine, ["tg"])
    tg = RecordingChannel("tg", capabilities=slow, script=script)
    await drain(engine, tg)
    (start,) = announced
    inside = [t for t, _ in tg.calls if start + 0.05 < t < start + 0.4]
    assert inside == []
    assert await statuses(engine, run_id) == {"sent": 60}
    assert tg.attempts["100010"] == 2


@pytest.mark.parametrize(("resend", "expected"), [(True, "sent"), (False, "uncertain")])
async def test_uncertain_sends_follow_the_policy_and_stay_flagged(
    engine: AsyncEngine, resend: bool, expected: str
) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 10, {"tg": 1.0})

    def script(recipient: str, attempt: int) -> DeliveryResult | None:
        if recipient == "100004" and attempt == 1:
            return DeliveryResult(recipient, Status.UNCERTAIN, error="read timeout")
        return None

    campaign_run = await post(engine, ["tg"])
    tg = RecordingChannel("tg", script=script)
    await drain(engine, tg, policy=replace(FAST_RETRY, resend_uncertain=resend))
    assert tg.attempts["100004"] == (2 if resend else 1)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(Delivery.status, Delivery.was_uncertain)
                .join(Contact, Contact.id == Delivery.contact_id)
                .where(Contact.external_id == "100004", Delivery.run_id == campaign_run)
            )
        ).one()
    assert row == (expected, True)
    report = await reach_report(engine, 1)
    assert report is not None and report.total.counts["flagged"] == 1


async def test_leases_of_a_dead_sender_are_recovered_at_start(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 30, {"tg": 1.0})
    run_id = await post(engine, ["tg"])
    dead = await outbox.register_sender(engine, "tg")
    claimed = await outbox.claim(engine, "tg", dead, 10, lease_s=600)
    assert len(claimed) == 10
    async with engine.begin() as conn:  # the process was killed: pid 1 is not ours
        await conn.execute(text("UPDATE senders SET pid = 999999999 WHERE id = :i"), {"i": dead})
    tg = RecordingChannel("tg")
    await drain(engine, tg, policy=replace(FAST_RETRY, resend_uncertain=False))
    assert await statuses(engine, run_id) == {"sent": 20, "uncertain": 10}
    assert len(tg.sent) == 20


async def test_failover_routing_tries_the_next_messenger(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 40, {"tg": 1.0, "vk": 1.0})

    def blocked(recipient: str, attempt: int) -> DeliveryResult | None:
        if recipient in ("100001", "100002"):
            return DeliveryResult(recipient, Status.BLOCKED)
        return None

    run_id = await post(engine, ["tg", "vk"], routing="failover")
    tg, vk = RecordingChannel("tg", script=blocked), RecordingChannel("vk")
    await drain(engine, tg, vk)
    assert len(tg.sent) == 38
    assert sorted(who for who, _ in vk.sent) == ["100001", "100002"]
    report = await reach_report(engine, 1)
    assert report is not None and report.total.counts["sent"] == 40
    assert await statuses(engine, run_id) == {"sent": 40, "blocked": 2}


async def test_a_member_on_two_messengers_counts_once_in_reach(engine: AsyncEngine) -> None:
    union = await make_union(engine, districts=2, schools_per_district=2)
    await add_members(engine, union, 20, {"tg": 1.0, "vk": 1.0})
    await add_members(engine, union, 5, {}, start=20)
    await post(engine, ["tg", "vk"])
    await drain(engine, RecordingChannel("tg"), RecordingChannel("vk"))
    report = await reach_report(engine, 1)
    assert report is not None
    assert report.total.counts["targeted"] == 25
    assert report.total.counts["sent"] == 20 and report.total.counts["unreachable"] == 5
    assert report.channels["tg"].counts["sent"] == 20
    assert sum(d.tally.counts["targeted"] for d in report.districts) == 25
    assert {len(d.schools) for d in report.districts} == {2}


async def test_an_unsubscribe_takes_effect_before_the_next_batch(engine: AsyncEngine) -> None:
    union = await make_union(engine)
    await add_members(engine, union, 10, {"tg": 1.0})
    run_id = await post(engine, ["tg"])
    async with engine.begin() as conn:
        cid = union.contacts[("tg", "100005")]
        await contacts.mark_contacts(conn, {cid: "unsubscribed"})
    tg = RecordingChannel("tg")
    await drain(engine, tg)
    assert "100005" not in {who for who, _ in tg.sent}
    assert await statuses(engine, run_id) == {"sent": 9, "unsubscribed": 1}


async def test_cancelled_deliveries_are_not_sent(engine: AsyncEngine) -> None:
    from core.campaigns.store import cancel_campaign

    union = await make_union(engine)
    await add_members(engine, union, 10, {"tg": 1.0})
    run_id = await post(engine, ["tg"])
    assert await cancel_campaign(engine, 1, "test") == 10
    async with engine.begin() as conn:
        await conn.execute(update(Delivery).values(status="cancelled"))
    tg = RecordingChannel("tg")
    await drain(engine, tg)
    assert tg.sent == [] and await statuses(engine, run_id) == {"cancelled": 10}
