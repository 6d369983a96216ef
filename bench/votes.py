"""6. Poll votes through the real inbound path: Rupor's WebServer and the real adapters'
handle_webhook on all three channels — Telegram poll_answer updates with the secret
header, VK Callback API message_event (a callback button) with the secret in the body,
Viber reply-button messages with the HMAC signature — the Inbox and core.polls on SQLite.
Every member of the poll's audience votes once (member m for option m % 3), so the final
tally is known exactly and checked against poll_results. A load generator in its own
process posts with N concurrent connections. Goal >= 2,000 votes/s persisted; p50/p99
latency reported; 10,000 votes (quick mode) with exact tallies.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench.db import Cohort, fresh_database, populate
from bench.harness import Context, figure, note, rounded
from bench.inbound import SECRET, UNUSED_API, loadgen
from bench.overhead import profiled, sibling
from bench.platforms import TELEGRAM_TOKEN, VIBER_TOKEN
from bots import texts
from bots.registry import configured
from bots.transport import ChannelDeps, WebhookReceiver
from bots.webhooks import WebServer
from core.config import settings_from_mapping
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.polls.create import create_poll
from core.polls.results import poll_results
from core.polls.spec import NewPoll
from core.storage.engine import create_engine

GOAL_PER_S = 2_000
OPTIONS = ("10 декабря", "17 декабря", "24 декабря")
FIRST_ID = {"telegram": 100_000, "vk": 5_000_000, "viber": 10_000_000}
VK_GROUP, VK_SECRET = 777, "bench-vk-secret"
# The poll's landings, as the sender would have written them (Telegram: one poll id each).
LAND = (
    "INSERT INTO poll_messages (poll_id, contact_id, channel, platform_poll_id, "
    "platform_message_id) SELECT :poll, d.contact_id, d.channel, CASE WHEN d.channel = "
    "'telegram' THEN 'tp' || d.recipient END, '1' FROM deliveries d WHERE d.run_id = :run "
    "AND d.contact_id IS NOT NULL"
)


def _settings(url: str) -> Any:
    return settings_from_mapping({
        "database": {"url": url},
        "telegram": {"token": TELEGRAM_TOKEN, "api_base": UNUSED_API, "mode": "webhook",
                     "webhook_secret": SECRET},
        "vk": {"token": "vk1.a.bench", "group_id": VK_GROUP, "api_base": UNUSED_API,
               "mode": "callback", "secret": VK_SECRET, "confirmation": "bench"},
        "viber": {"token": VIBER_TOKEN, "api_base": UNUSED_API},
    }, source="<bench>", environ={})


async def _poll(engine: Any) -> int:
    now = datetime.now(UTC)
    new = NewPoll("Какая дата форума молодых педагогов удобнее?", OPTIONS,
                  now + timedelta(days=1), audience="all", created_by="bench")
    created = await create_poll(engine, new, list(FIRST_ID), now)
    async with engine.begin() as conn:
        await conn.execute(text(LAND), {"poll": created.poll_id, "run": created.run_id})
    return created.poll_id


def _expected(members: int) -> tuple[int, ...]:
    counts: Counter[int] = Counter()
    for first in FIRST_ID.values():
        counts.update(m % len(OPTIONS) for m in range(first, first + members))
    return tuple(counts[i] for i in range(len(OPTIONS)))


def _spec(base: str, channel: str, members: int, connections: int, poll_id: int,
          max_s: float) -> dict[str, Any]:
    return {"url": f"{base}/webhooks/{channel}", "kind": f"{channel}_vote", "count": members,
            "connections": connections, "first_id": FIRST_ID[channel], "members": members,
            "secret": {"telegram": SECRET, "vk": VK_SECRET, "viber": VIBER_TOKEN}[channel],
            "poll_id": poll_id, "options": len(OPTIONS), "group_id": VK_GROUP, "max_s": max_s}


async def run(ctx: Context) -> None:
    members = int(ctx.mode.pick(20, 3_334, 33_334))  # per channel: quick mode = 10,002 votes
    connections = int(ctx.mode.pick(8, 40, 40))
    url = await fresh_database(ctx.subdir("votes"))
    await populate(url, [Cohort(c, members, FIRST_ID[c], c[:2].upper()) for c in FIRST_ID])
    settings = _settings(url)
    engine = create_engine(url)
    inbox = Inbox(engine, Dialogs(texts.DIALOG))
    server = WebServer(engine, inbox.receive)
    base = await server.start("127.0.0.1", 0)
    channels = {name: kind.build(settings, ChannelDeps(public_url=base))
                for name, kind in configured(settings).items()}
    server.add_receivers([c for c in channels.values() if isinstance(c, WebhookReceiver)])
    total = 0
    try:
        poll_id = await _poll(engine)
        for channel in FIRST_ID:
            cpu, batches = time.process_time(), inbox.batches
            with profiled(sibling(ctx.profile, f"votes-{channel}")):
                found = await loadgen(_spec(base, channel, members, connections, poll_id, 60.0))
            cpu, batches = time.process_time() - cpu, inbox.batches - batches
            total += int(found["count"])
            _emit(ctx, channel, connections, found, cpu, batches)
        results = await poll_results(engine, poll_id)
        exact = results.counts == _expected(members) and results.voters == 3 * members
        ctx.emit(figure("votes", "exact tallies", "tallies equal the votes cast", exact,
                        votes=total, voters=results.voters, counts=list(results.counts),
                        expected=list(_expected(members)),
                        summary=f"{total:,} votes: {list(results.counts)} "
                                f"{'exact' if exact else 'WRONG'}"))
    finally:
        for made in channels.values():
            await made.close()
        await server.close()
        await inbox.close()
        await engine.dispose()


def _emit(ctx: Context, channel: str, connections: int, found: dict[str, Any], cpu: float,
          batches: int) -> None:
    count, rate = int(found["count"]), float(found["updates_per_s"])
    ok = found["statuses"] == {"200": count}
    ctx.emit(figure(
        "votes", f"{channel} webhook votes", f">= {GOAL_PER_S:,} votes/s persisted",
        rate >= GOAL_PER_S and ok, channel=channel, connections=connections, **found,
        server_cpu_ms_per_vote=rounded(1000 * cpu / count if count else None, 3),
        inbox_batches=batches, votes_per_batch=rounded(count / batches if batches else None, 1),
        profiled=ctx.profile is not None,
        summary=f"{rate:,.0f} votes/s, p50 {found['p50_ms']} ms, p99 {found['p99_ms']} ms "
                f"({count:,} over {connections} connections)"))
    note(f"votes/{channel}: {found['updates_per_s']:,.0f} votes/s")
