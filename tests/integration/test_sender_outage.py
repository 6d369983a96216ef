"""A channel that stops working while its sender runs (core.sending.outage), on a real SQLite
file with a recording channel: a revoked token (ChannelError on every call) or a platform
out of reach (every call fails) charges nobody an attempt and fails nobody, however long it
lasts; the sender probes one delivery at a time, is told once when it stops and once when it
works again, and then sends the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports import ChannelError, DeliveryResult, Outbound, Status
from core.sending.dispatch import ChannelSender
from core.sending.outage import ChannelHealth, Fault, ProbeBackoff, is_outage_wait
from core.sending.outbox import Policy
from core.sending.recording import RecordingChannel
from tests.factories import add_members, make_union
from tests.unit.test_queue import eventually, post, statuses

# Per-delivery retries fast enough that a blind sender would fail everyone within a second.
QUICK = Policy(max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.05)
PROBE = ProbeBackoff(first_s=0.05, max_s=0.2)
MEMBERS = 40


@dataclass
class Platform(RecordingChannel):
    """The recording channel behind a switch: the token refused, or nothing answering."""

    revoked: bool = False
    down: bool = False
    refused_calls: int = 0

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        if self.revoked:
            self.refused_calls += 1
            raise ChannelError("Telegram refused the bot (Unauthorized): check [telegram] token")
        if self.down:
            self.refused_calls += 1
            return [DeliveryResult(r, Status.FAILED, error="not sent: connection refused")
                    for r in to]
        return await super().send(to, msg)


async def run_through(engine: AsyncEngine, switch: str) -> tuple[Platform, list[Fault | None],
                                                                 dict[str, int]]:
    union = await make_union(engine)
    await add_members(engine, union, MEMBERS, {"tg": 1.0})
    channel = Platform(name="tg")
    setattr(channel, switch, True)
    told: list[Fault | None] = []

    async def on_fault(fault: Fault | None) -> None:
        told.append(fault)

    sender = ChannelSender(engine, channel, QUICK, on_fault=on_fault, probe=PROBE)
    run_id = await post(engine, ["tg"])
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        async def probed() -> bool:
            return channel.refused_calls >= 4 and sender.health.down

        await eventually(probed)
        # Nobody failed; one probe out and the last one's result not yet written at most.
        waiting = await statuses(engine, run_id)
        assert set(waiting) <= {"pending", "claimed"} and waiting.get("claimed", 0) <= 2
        setattr(channel, switch, False)

        async def sent() -> bool:
            return await statuses(engine, run_id) == {"sent": MEMBERS}

        await eventually(sent)
    finally:
        stop.set()
        await task
    return channel, told, await statuses(engine, run_id)


async def test_a_revoked_token_waits_and_resumes_without_failing_anyone(
    engine: AsyncEngine,
) -> None:
    channel, told, _ = await run_through(engine, "revoked")
    assert [f.cause if f else None for f in told] == ["token", None]  # once each
    assert told[0] is not None and "Unauthorized" in told[0].detail
    assert len({r for r, _ in channel.sent}) == len(channel.sent) == MEMBERS


async def test_a_platform_out_of_reach_is_an_outage_after_a_while(engine: AsyncEngine) -> None:
    from core.sending import outage

    outage.OUTAGE_AFTER_S, saved = 0.2, outage.OUTAGE_AFTER_S  # seconds, not a test's minute
    try:
        channel, told, _ = await run_through(engine, "down")
    finally:
        outage.OUTAGE_AFTER_S = saved
    assert [f.cause if f else None for f in told] == ["network", None]
    assert len(channel.sent) == MEMBERS


async def test_a_few_failures_among_answers_are_no_outage() -> None:
    told: list[Fault | None] = []

    async def on_fault(fault: Fault | None) -> None:
        told.append(fault)

    health = ChannelHealth(on_fault)
    failed = [DeliveryResult("1", Status.FAILED, error="HTTP 502")]
    for _ in range(20):
        assert await health.answered(failed) == failed  # each charged as usual
        await health.answered([DeliveryResult("2", Status.SENT, "9")])
    assert not health.down and told == []
    waits = await health.account_refused(["1", "2"], "VK error 5: User authorization failed")
    assert health.down and all(is_outage_wait(w) for w in waits)
    assert health.probe_size(500) == 1
