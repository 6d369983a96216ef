"""The message queue: claim deliveries with a lease, record a batch's results at once,
recover leases whose sender died. The deliveries table is the queue and the ledger."""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.audience.contacts import mark_contacts, mark_statements
from core.ports import DeliveryResult, Status
from core.storage.engine import in_write_transaction, writing
from core.storage.models import Delivery, Sender

HEARTBEAT_S = 10.0
# What a final result makes of the contact (a wrong id: unreachable, never sent to again)
# and of the delivery (the reach report tells a wrong id from a member who blocked the bot).
FINAL_FOR_CONTACT = {
    Status.BLOCKED: "blocked", Status.UNSUBSCRIBED: "unsubscribed", Status.WRONG_ID: "unreachable",
}
FINAL_FOR_DELIVERY = {
    Status.BLOCKED: "blocked", Status.UNSUBSCRIBED: "unsubscribed", Status.WRONG_ID: "wrong_id",
}


class Claimed(NamedTuple):
    delivery_id: int
    run_id: int
    contact_id: int
    person_id: int | None
    recipient: str  # the contact's id on its platform
    attempts: int
    was_uncertain: bool


class Outcome(NamedTuple):
    """What happened to one claimed delivery."""

    claimed: Claimed
    status: Status
    platform_message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None


def outcome_of(claimed: Claimed, result: DeliveryResult) -> Outcome:
    return Outcome(
        claimed, result.status, result.platform_message_id, result.error, result.retry_after
    )


@dataclass(frozen=True)
class Policy:
    """How the core treats results: retries and what an uncertain send becomes."""

    max_attempts: int = 5
    resend_uncertain: bool = True  # [sending] uncertain_policy = "resend"
    idempotent: bool = False  # the channel drops repeated keys (VK): always safe to resend
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 300.0

    @property
    def resend(self) -> bool:
        return self.idempotent or self.resend_uncertain

    def backoff(self, attempts: int) -> float:
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2.0 ** max(0, attempts - 1))
        return float(delay * random.uniform(0.8, 1.2))


def _claim_sql(dialect: str) -> str:
    lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    return (
        "UPDATE deliveries SET status = 'claimed', sender_id = :sender, lease_until = :lease, "
        "attempts = attempts + 1, updated_at = :now WHERE id IN ("
        "SELECT id FROM deliveries WHERE channel = :channel AND status = 'pending' "
        f"AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit{lock}) "
        "RETURNING id, run_id, contact_id, person_id, recipient, attempts, was_uncertain"
    )


async def claim(
    engine: AsyncEngine, channel: str, sender_id: int, limit: int, lease_s: float
) -> list[Claimed]:
    """Take up to `limit` due deliveries of a channel for this sender, oldest first."""
    now = time.time()
    params = {"sender": sender_id, "lease": now + lease_s, "now": now, "channel": channel,
              "limit": limit}

    def work(conn: Connection) -> list[Claimed]:
        result = conn.execute(text(_claim_sql(conn.dialect.name)), params)
        rows = cast(list[_ClaimRow], result.all())
        # Straight from the row tuples: per-row attribute access and dataclass construction
        # cost more than the database itself at 20,000 rows/s (SQLite gives 0/1 for booleans).
        claimed = [Claimed._make(row) for row in rows]
        claimed.sort(key=_by_id)
        return claimed

    return await in_write_transaction(engine, work)


_ClaimRow = tuple[int, int, int, int | None, str, int, bool]


def _by_id(claimed: Claimed) -> int:
    return claimed.delivery_id


_SENT, _PENDING, _FAILED, _UNCERTAIN = "sent", "pending", "failed", "uncertain"
_UNREACHED = ("blocked", "unsubscribed", "wrong_id", "failed")


def _row_update(outcome: Outcome, policy: Policy, now: float) -> tuple[Any, ...]:
    """The delivery's next state for one result, as the parameters of _RECORD_SQL."""
    claimed, status = outcome.claimed, outcome.status
    state, due, attempts, uncertain = _SENT, now, claimed.attempts, claimed.was_uncertain
    if status is Status.SENT:
        pass
    elif status in FINAL_FOR_DELIVERY:
        state = FINAL_FOR_DELIVERY[status]
    elif status is Status.INVALID:
        state = _FAILED
    elif status is Status.RETRY_AFTER:
        # Not the member's fault nor a real attempt: wait out the window and try again.
        state, due, attempts = _PENDING, now + (outcome.retry_after or 1.0), attempts - 1
    elif status is Status.UNCERTAIN:
        uncertain = True
        state = _PENDING if policy.resend else _UNCERTAIN
    elif claimed.attempts < policy.max_attempts:
        state, due = _PENDING, now + policy.backoff(claimed.attempts)
    else:
        state = _FAILED
    return (state, due, outcome.platform_message_id, outcome.error, uncertain,
            max(0, attempts), now, claimed.delivery_id)


# Plain DB-API executemany: SQLAlchemy's per-row parameter processing would cost more than
# SQLite's own work at 20,000 rows/s. Rows a recovered lease already moved are untouched.
_RECORD_SQL = (
    "UPDATE deliveries SET status = {p}, next_attempt_at = {p}, platform_message_id = {p}, "
    "error = {p}, was_uncertain = {p}, attempts = {p}, lease_until = NULL, updated_at = {p} "
    "WHERE id = {p} AND status = 'claimed'"
)


def driver_sql(template: str, paramstyle: str) -> str:
    """Fill {p} markers with the driver's own positional placeholders."""
    if paramstyle == "numeric_dollar":
        count = template.count("{p}")
        return template.format_map(_Numbered(count))
    return template.format(p="?" if paramstyle == "qmark" else "%s")


class _Numbered(dict[str, str]):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.next = 0

    def __missing__(self, key: str) -> str:
        self.next += 1
        return f"${self.next}"


async def record(
    engine: AsyncEngine, outcomes: Sequence[Outcome], policy: Policy,
    failover_runs: Mapping[int, Sequence[str]] | None = None,
) -> None:
    """Write a batch's results in one transaction: contacts that left are marked, and for
    runs routed with failover (run id -> channel preference) each person who ended
    unreached gets their next messenger queued — all or nothing."""
    if not outcomes:
        return
    now = time.time()
    if not failover_runs or not any(o.claimed.run_id in failover_runs for o in outcomes):
        # The common case, whole in one unit of work (on SQLite in a worker thread, so the
        # event loop keeps pacing calls while thousands of rows are built and written).
        await in_write_transaction(engine, lambda conn: _record_plain(conn, outcomes, policy, now))
        return
    rows = [_row_update(o, policy, now) for o in outcomes]
    gone = _gone(outcomes)
    async with writing(engine) as conn:
        await conn.exec_driver_sql(driver_sql(_RECORD_SQL, conn.dialect.paramstyle), rows)
        if gone:
            await mark_contacts(conn, gone)
        if failover_runs:
            await _fail_over(conn, outcomes, rows, failover_runs)


def _gone(outcomes: Sequence[Outcome]) -> dict[int, str]:
    return {
        o.claimed.contact_id: FINAL_FOR_CONTACT[o.status]
        for o in outcomes
        if o.status in FINAL_FOR_CONTACT
    }


def _record_plain(
    conn: Connection, outcomes: Sequence[Outcome], policy: Policy, now: float
) -> None:
    rows = [_row_update(o, policy, now) for o in outcomes]
    conn.exec_driver_sql(driver_sql(_RECORD_SQL, conn.dialect.paramstyle), rows)
    gone = _gone(outcomes)
    if gone:
        for statement, params in mark_statements(gone):
            conn.execute(statement, params)


async def _fail_over(
    conn: AsyncConnection, outcomes: Sequence[Outcome], rows: list[tuple[Any, ...]],
    failover_runs: Mapping[int, Sequence[str]],
) -> None:
    from core.sending.runs import failover

    people: dict[int, list[int]] = {}
    for outcome, row in zip(outcomes, rows, strict=True):
        run_id, person_id = outcome.claimed.run_id, outcome.claimed.person_id
        if row[0] in _UNREACHED and person_id and run_id in failover_runs:
            people.setdefault(run_id, []).append(person_id)
    for run_id, persons in people.items():
        await failover(conn, run_id, persons, failover_runs[run_id])


# Senders and leases -------------------------------------------------------------------


async def register_sender(engine: AsyncEngine, channel: str) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(Sender)
            .values(
                channel=channel,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                heartbeat_at=time.time(),
            )
            .returning(Sender.id)
        )
        return int(result.scalar_one())


async def heartbeat(engine: AsyncEngine, sender_id: int, *, stopped: bool = False) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(Sender)
            .where(Sender.id == sender_id)
            .values(heartbeat_at=time.time(), stopped=stopped)
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def dead_senders(engine: AsyncEngine, channel: str, *, own: Sequence[int] = ()) -> list[int]:
    """Senders that hold no lease any more: stopped, silent, or a dead process on this host."""
    host, now = socket.gethostname(), time.time()
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                Sender.id, Sender.hostname, Sender.pid, Sender.heartbeat_at, Sender.stopped
            ).where(Sender.channel == channel)
        )
        dead = []
        for sender_id, hostname, pid, heartbeat_at, stopped in rows.all():
            if sender_id in own:
                continue
            same_host_dead = hostname == host and (pid == os.getpid() or not _pid_alive(pid))
            silent = heartbeat_at < now - 3 * HEARTBEAT_S
            if stopped or same_host_dead or silent:
                dead.append(int(sender_id))
        return dead


async def recover(
    engine: AsyncEngine,
    channel: str,
    policy: Policy,
    *,
    senders: Sequence[int] = (),
    expired: bool = False,
) -> int:
    """Claimed rows of dead senders (or with an expired lease) become uncertain → policy.

    They may or may not have reached the platform; they stay flagged in the report.
    """
    now = time.time()
    whose = Delivery.sender_id.in_(list(senders)) if senders else None
    if whose is None and not expired:
        return 0
    condition = [Delivery.channel == channel, Delivery.status == "claimed"]
    if expired:
        condition.append(Delivery.lease_until < now)
    if whose is not None:
        condition.append(whose)
    values: dict[str, Any] = {"was_uncertain": True, "lease_until": None, "updated_at": now}
    values.update(
        {"status": "pending", "next_attempt_at": now} if policy.resend else {"status": "uncertain"}
    )
    async with engine.begin() as conn:
        result = await conn.execute(update(Delivery).where(*condition).values(values))
        if senders:
            await conn.execute(
                update(Sender).where(Sender.id.in_(list(senders))).values(stopped=True)
            )
        return max(result.rowcount, 0)


async def pending_count(engine: AsyncEngine, channels: Sequence[str]) -> int:
    """Work not finished on these channels: deliveries pending (also those waiting for a
    retry) or claimed, replies not sent, and runs still materialising."""
    if not channels:
        return 0
    total = 0
    async with engine.connect() as conn:
        for table in ("deliveries", "replies"):
            for status in ("pending", "claimed"):
                total += (
                    await conn.execute(
                        text(
                            f"SELECT COUNT(*) FROM {table} WHERE status = :s AND channel IN :c"
                        ).bindparams(bindparam("c", expanding=True)),
                        {"s": status, "c": list(channels)},
                    )
                ).scalar_one()
        total += (
            await conn.execute(
                text("SELECT COUNT(*) FROM campaign_runs WHERE status = 'materialising'")
            )
        ).scalar_one()
    return int(total)


async def next_due(engine: AsyncEngine, channel: str) -> float | None:
    """When the channel's earliest pending delivery comes due (epoch seconds)."""
    async with engine.connect() as conn:
        value = (
            await conn.execute(
                select(Delivery.next_attempt_at)
                .where(Delivery.channel == channel, Delivery.status == "pending")
                .order_by(Delivery.next_attempt_at)
                .limit(1)
            )
        ).scalar_one_or_none()
    return None if value is None else float(value)
