"""One sender per channel account: claim a wave, pace every call, record results in batches.

Crash bound: a sender holds at most two waves (about one second of sending) claimed but not
recorded; after kill -9 only those can be re-sent, and each is flagged uncertain. Database
trouble is waited out (core.storage.trouble): results stay in memory, the budget stops sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from core.audience.contacts import mark_contacts
from core.campaigns.media import save_media_ref
from core.ports import Channel, ChannelError, DeliveryResult, Outbound, Status
from core.sending import outbox
from core.sending.budget import Budget
from core.sending.metrics import SenderMetrics
from core.sending.outage import ChannelHealth, FaultChange, ProbeBackoff, is_outage_wait
from core.sending.outbox import Claimed, Outcome, Policy, outcome_of
from core.sending.plan import RunPlan, load_plan, with_media_ref
from core.sending.poll_runs import PollCall, record_landings
from core.sending.replies import (
    ClaimedReply,
    claim_replies,
    edit_before,
    record_replies,
    recover_replies,
    replies_due,
    reply_row,
)
from core.sending.reply_parts import deliver_reply
from core.sending.runs import finish_runs
from core.sending.wakeful import each_wake
from core.sending.waves import MAX_WAVE, WAVE_S, build_pacer, chat_keys, in_flight_limit, wave_size
from core.storage.engine import writing
from core.storage.trouble import DATABASE, persist

log = logging.getLogger("rupor.dispatch")

MAX_CALLS_IN_FLIGHT = 256  # adapters keep at least this many connections open
MAX_REPLIES_IN_FLIGHT = 32  # replies being sent at once (apart from the broadcast's calls)
FLUSH_S = 0.1  # results wait at most this long before they are written
IDLE_POLL_S = 1.0  # runs created by other processes are seen within this time


class ChannelSender:
    """Sends every due delivery of one channel at the channel's ceiling, never above it."""

    def __init__(
        self,
        engine: AsyncEngine,
        channel: Channel,
        policy: Policy,
        *,
        lease_s: float = 60.0,
        max_wave: int = MAX_WAVE,
        reader: AsyncEngine | None = None,
        on_fault: FaultChange | None = None,
        probe: ProbeBackoff | None = None,
    ) -> None:
        """`reader`: a read-only engine on the same database for the cheap checks a busy
        loop makes (SQLite: spares the write lock); the writing engine if None.
        `on_fault`: told when the channel stops working (a revoked token, the platform out
        of reach) and when it works again (core.sending.outage); `probe`: the waits then."""
        caps = channel.capabilities
        self.engine, self.channel, self.policy, self.lease_s = engine, channel, policy, lease_s
        self.max_wave = max_wave
        self.reader = reader
        self.pacer = build_pacer(channel)
        calls = max(1, math.ceil(caps.calls_per_second * WAVE_S))
        self.budget = Budget(limit=in_flight_limit(caps, max_wave))
        self.calls_in_flight = asyncio.Semaphore(max(4, min(MAX_CALLS_IN_FLIGHT, 2 * calls)))
        self.plans: dict[int, RunPlan] = {}
        self.progress: dict[int, Counter[str]] = {}
        self.metrics = SenderMetrics()  # for /metrics and the wave log
        self.health = ChannelHealth(on_fault, backoff=probe)
        self.sender_id = 0
        self._results: list[Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()  # new work may be there: stop idling
        self._results_ready = asyncio.Event()  # a wave's worth of results: write them now
        self._replies_due = asyncio.Event()  # a reply may be queued: look now
        self.replies_in_flight = asyncio.Semaphore(MAX_REPLIES_IN_FLIGHT)

    @property
    def name(self) -> str:
        return self.channel.name

    @property
    def wave_size(self) -> int:
        """Deliveries in half a second of sending; follows the adapter's current capabilities
        (Viber drops from 300 recipients per call to 1 when broadcasting is not approved)."""
        return wave_size(self.channel.capabilities, self.max_wave)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set, then finish what is in flight and record it."""
        self.sender_id = await persist(partial(outbox.register_sender, self.engine, self.name))
        dead = await persist(partial(outbox.dead_senders, self.engine, self.name,
                                     own=[self.sender_id]))
        recovered = await persist(partial(outbox.recover, self.engine, self.name, self.policy,
                                          senders=dead))
        if recovered:
            log.warning("%s: %d deliveries of stopped senders recovered as uncertain",
                        self.name, recovered)
        await persist(partial(recover_replies, self.engine, self.name))
        keeper = asyncio.create_task(self._keep_alive(stop), name=f"{self.name}-heartbeat")
        recorder = asyncio.create_task(self._record_loop(stop), name=f"{self.name}-recorder")
        # Replies are looked for as soon as one is queued, not once a wave: a person waits.
        replier = asyncio.create_task(each_wake(
            stop, self._replies_due, self._serve_replies, IDLE_POLL_S, f"{self.name}: replies"))
        try:
            await self._claim_loop(stop)
        finally:
            await asyncio.gather(replier, return_exceptions=True)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            stop.set()
            await asyncio.gather(recorder, return_exceptions=True)
            # The last results may have finished a run: say so before the process ends.
            await persist(partial(finish_runs, self.engine))
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            await persist(partial(outbox.heartbeat, self.engine, self.sender_id, stopped=True))

    async def send_one(self, recipient: str, message: Outbound,
                       keys: dict[str, Hashable] | None = None) -> DeliveryResult:
        """One message to one chat through this channel's pacer, beside whatever it is
        broadcasting (a preview for the press secretary); never raises for a refusal."""
        (result,) = await self._send_paced([recipient], message, keys, urgent=True)
        await self._absorb(0, [result])
        return result

    def wake(self) -> None:
        """A new run or reply was queued in this process: look for work now."""
        self._wake.set()
        self._replies_due.set()

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            # Cleared before looking for work, so a wake-up during the look is not lost.
            self._wake.clear()
            wave = self.health.probe_size(self.wave_size)
            self.budget.limit = in_flight_limit(self.channel.capabilities, self.max_wave)
            await self.budget.reserve(wave)
            batch = await persist(partial(
                outbox.claim, self.engine, self.name, self.sender_id, wave, self.lease_s))
            unused = wave - len(batch)
            if unused:
                await self.budget.release(unused)
            if not batch:
                await self._idle(stop)
                continue
            probes = []
            for plan, group in await self._calls(batch):
                await self.calls_in_flight.acquire()
                task = asyncio.create_task(self._deliver(plan, group))
                self._tasks.add(task)
                task.add_done_callback(self._call_done)
                probes.append(task)
            if self.health.down:  # one probe at a time: the next waits for this one's answer
                await asyncio.gather(*probes, return_exceptions=True)

    async def _serve_replies(self) -> None:
        """Answers go first, through the same pacer as the campaigns: each takes the next
        slot of the bot-wide ceiling (Pacer urgent), never waits for the queued calls."""
        if DATABASE.problem or not await replies_due(self.reader or self.engine, self.name):
            return  # (database trouble: the senders' own work waits for it, replies too)
        quota = self.health.probe_size(
            max(1, math.ceil(self.channel.capabilities.calls_per_second * WAVE_S / 2)))
        edits = self.channel.capabilities.edits_messages
        claimed = await claim_replies(self.engine, self.name, quota, edits=edits)
        for reply in claimed:
            await self.replies_in_flight.acquire()
            task = asyncio.create_task(self._deliver_reply(reply))
            self._tasks.add(task)
            task.add_done_callback(self._reply_done)
        if len(claimed) == quota:  # a flood of replies: half the ceiling, as before
            await asyncio.sleep(WAVE_S)

    async def _deliver_reply(self, reply: ClaimedReply) -> None:
        key = chat_keys(reply.recipient, reply.is_group)
        message = reply.message
        if reply.edit is not None and not await self._edit_paced(reply, key):
            message = reply.unedited or message
        elif reply.edit_only:  # the edited message says it all (a vote's current choice)
            done = DeliveryResult(reply.recipient, Status.SENT)
            await persist(partial(
                record_replies, self.engine, [reply_row(reply, done, time.time())]))
            return
        send = partial(self.send_one, reply.recipient, keys=key)  # a long reply: in parts
        result = await deliver_reply(self.engine, self.channel, reply, message, send, persist)
        if result.status in outbox.FINAL_FOR_CONTACT:
            async with writing(self.engine) as conn:
                await mark_contacts(
                    conn, {reply.contact_id: outbox.FINAL_FOR_CONTACT[result.status]}
                )

    async def _edit_paced(self, reply: ClaimedReply, keys: dict[str, Hashable]) -> bool:
        """Change the message the member answered, paced as a send; False if not changed."""
        await asyncio.sleep(max(0.0, self.pacer.key_ready_at(keys) - time.monotonic()))
        slot = await self.pacer.acquire(keys, urgent=True)
        try:
            result = await edit_before(self.channel, reply)
        finally:
            slot.finish()
        await self._absorb(0, [result])
        return result.status is Status.SENT

    def _reply_done(self, task: asyncio.Task[None]) -> None:
        self.replies_in_flight.release()
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: a reply task failed", self.name, exc_info=task.exception())

    def _call_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.calls_in_flight.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: a send task failed", self.name, exc_info=task.exception())

    async def _idle(self, stop: asyncio.Event) -> None:
        await self._flush()
        await persist(partial(finish_runs, self.engine, self.reader))
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waiters, timeout=IDLE_POLL_S, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def _calls(self, batch: list[Claimed]) -> list[tuple[RunPlan, list[Claimed]]]:
        """Group a wave by run, then into calls of at most max_recipients_per_call."""
        per_run: dict[int, list[Claimed]] = {}
        for claimed in batch:
            per_run.setdefault(claimed.run_id, []).append(claimed)
        size = self.channel.capabilities.max_recipients_per_call
        calls: list[tuple[RunPlan, list[Claimed]]] = []
        for run_id, rows in per_run.items():
            plan = await self._plan(run_id)
            calls.extend((plan, rows[i : i + size]) for i in range(0, len(rows), size))
        return calls

    async def _plan(self, run_id: int) -> RunPlan:
        plan = self.plans.get(run_id)
        if plan is None:
            plan = await persist(partial(
                load_plan, self.engine, run_id, self.name, self.channel.capabilities))
            if plan.media is not None and plan.media.ref is None:
                ref = await self.channel.prepare_media(plan.media)
                if ref:
                    await persist(partial(
                        save_media_ref, self.engine, plan.media.media_id, self.name, ref))
                    plan = with_media_ref(plan, ref)
            self.plans[run_id] = plan
            self.progress.setdefault(run_id, Counter())
        return plan

    async def _deliver(self, plan: RunPlan, group: list[Claimed]) -> None:
        """Send every part of the plan to the group, in order; stop at a failed part."""
        parts = self.plans.get(plan.run_id, plan).parts
        if plan.poll is not None:
            outcomes = await self._deliver_poll(plan.run_id, PollCall(plan.poll), group)
        elif len(parts) == 1:  # the common case, kept lean: up to 15,000 results a second
            results = await self._send_paced([c.recipient for c in group], parts[0])
            await self._absorb(plan.run_id, results)
            found = {r.recipient: r for r in results}
            outcomes = [outcome_of(c, found[c.recipient]) for c in group]
        else:
            outcomes = await self._deliver_parts(plan.run_id, group, parts)
        self._results.extend(outcomes)
        if len(self._results) >= self.wave_size:
            self._results_ready.set()

    async def _deliver_poll(self, run_id: int, call: PollCall, group: list[Claimed]
                            ) -> list[Outcome]:
        """A poll run: where each poll landed is recorded before the deliveries' results."""
        results = await self._send_paced([c.recipient for c in group], call)
        await self._absorb(run_id, results)
        await persist(partial(
            record_landings, self.engine, call.poll.poll_id, self.name, group, call.landed))
        found = {r.recipient: r for r in results}
        return [outcome_of(c, found[c.recipient]) for c in group]

    async def _deliver_parts(
        self, run_id: int, group: list[Claimed], parts: Sequence[Outbound]
    ) -> list[Outcome]:
        final: dict[str, DeliveryResult] = {}
        first_ids: dict[str, str | None] = {}
        remaining = [c.recipient for c in group]
        for part in parts:
            if not remaining:
                break
            results = await self._send_paced(remaining, part)
            await self._absorb(run_id, results)
            remaining = []
            for result in results:
                if result.status is Status.SENT:
                    first_ids.setdefault(result.recipient, result.platform_message_id)
                    remaining.append(result.recipient)
                else:
                    final[result.recipient] = result
        return [
            Outcome(c, Status.SENT, first_ids.get(c.recipient))
            if c.recipient not in final
            else outcome_of(c, final[c.recipient])
            for c in group
        ]

    async def _send_paced(
        self, recipients: list[str], part: Outbound | PollCall,
        keys: dict[str, Hashable] | None = None, *, urgent: bool = False,
    ) -> list[DeliveryResult]:
        if keys is None:
            keys = {"chat": recipients[0]} if len(recipients) == 1 else {}
        await asyncio.sleep(max(0.0, self.pacer.key_ready_at(keys) - time.monotonic()))
        slot = await self.pacer.acquire(keys, urgent=urgent)
        refused: ChannelError | None = None
        try:
            results = await (part.send_on(self.channel, recipients) if isinstance(part, PollCall)
                             else self.channel.send(recipients, part))
        except ChannelError as exc:
            refused, results = exc, []
        except Exception as exc:  # an unknown failure may still have reached the platform
            log.exception("%s: send failed unexpectedly", self.name)
            return [DeliveryResult(r, Status.UNCERTAIN, error=repr(exc)) for r in recipients]
        finally:
            slot.finish()  # the platform has surely seen the request by now
        if refused is not None:  # the account's fault, not a member's: nobody is charged
            results = await self.health.account_refused(recipients, str(refused))
        else:
            results = await self.health.answered(_complete(recipients, results))
        if self.health.down:
            self.pacer.pause(self.health.pause_s())
        return results

    async def _absorb(self, run_id: int, results: Sequence[DeliveryResult]) -> None:
        # An outage's waits are no platform answer: neither sends nor retry_after waits.
        pause_s = self.metrics.count([r for r in results if not is_outage_wait(r)])
        if pause_s:
            self.pacer.pause(pause_s)
        plan = self.plans.get(run_id)
        if plan is None or plan.media is None or plan.media.ref is not None:
            return
        ref = next((r.media_ref for r in results if r.media_ref), None)
        if ref:
            self.plans[run_id] = with_media_ref(plan, ref)
            await persist(partial(
                save_media_ref, self.engine, plan.media.media_id, self.name, ref))

    async def _record_loop(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and not self._tasks and not self._results):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._results_ready.wait(), FLUSH_S)
            self._results_ready.clear()
            await self._flush()

    async def _flush(self) -> None:
        if not self._results:
            return
        batch, self._results = self._results, []
        failover_runs = {run_id: plan.channels for run_id, plan in self.plans.items()
                         if plan.routing == "failover"}
        try:
            await persist(partial(outbox.record, self.engine, batch, self.policy, failover_runs))
        finally:
            await self.budget.release(len(batch))
        tallies: Counter[tuple[int, Status]] = Counter((o.claimed.run_id, o.status) for o in batch)
        for (run_id, status), count in tallies.items():
            self.progress.setdefault(run_id, Counter())[status.value] += count
        self.metrics.recorded(self.name, tallies, self.plans)

    async def _keep_alive(self, stop: asyncio.Event) -> None:
        beats = 0
        while not stop.is_set():
            await asyncio.sleep(outbox.HEARTBEAT_S)
            await persist(partial(outbox.heartbeat, self.engine, self.sender_id))
            beats += 1
            if beats % 6 == 0:  # every minute: leases nobody renewed in time
                await persist(partial(
                    outbox.recover, self.engine, self.name, self.policy, expired=True))


def _complete(recipients: list[str], results: list[DeliveryResult]) -> list[DeliveryResult]:
    """An adapter must answer for every recipient; a missing answer is uncertain."""
    seen = {r.recipient for r in results}
    missing = [
        DeliveryResult(r, Status.UNCERTAIN, error="no result from adapter")
        for r in recipients
        if r not in seen
    ]
    return list(results) + missing
