"""5. Inbound: member text messages through Rupor's WebServer, the real adapters'
handle_webhook (Telegram's secret header; Viber's HMAC signature), the Inbox and the
Dialogs on SQLite. Every sender is an active subscriber, so each text is stored once,
handled (it lands in the feedback inbox) and queues the "thanks" reply, all committed
before the 200 goes back; the inbox commits concurrent updates in batches (group commit),
and the figure says how many updates a batch held on average. A load generator in its own
process posts with N concurrent connections, up to a count or a time limit per channel.
Goal >= 2,000 updates/s; p50/p99 latency reported.

Poll votes are measured in bench/votes.py, through the same webhooks.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.db import Cohort, fresh_database, populate
from bench.harness import Context, Figure, figure, note, rounded
from bench.overhead import profiled, sibling
from bench.platforms import TELEGRAM_TOKEN, VIBER_TOKEN
from bots import texts
from bots.registry import configured
from bots.transport import ChannelDeps, WebhookReceiver
from bots.webhooks import WebServer
from core.config import settings_from_mapping
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.storage.engine import create_engine
from core.storage.models import Inbound, Reply

GOAL_PER_S = 2_000
SECRET = "bench-webhook-secret_0123456789"
UNUSED_API = "http://127.0.0.1:9"  # nothing is sent: replies stay queued
FIRST_ID = {"telegram": 100_000, "viber": 10_000_000}


async def loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", json.dumps(spec), stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError("bench.loadgen failed")
    found: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return found


async def ledger(engine: AsyncEngine, channel: str) -> dict[str, int]:
    """What the database holds for the channel's updates: stored, handled, feedback, replies."""
    async with engine.connect() as conn:
        async def count(table: Any, *where: Any) -> int:
            query = select(func.count()).select_from(table).where(table.channel == channel)
            return int((await conn.execute(query.where(*where))).scalar_one())

        return {
            "stored": await count(Inbound),
            "handled": await count(Inbound, Inbound.handled_at.is_not(None)),
            "feedback": await count(Inbound, Inbound.is_feedback.is_(True)),
            "replies_queued": await count(Reply),
        }


def _figure(channel: str, connections: int, found: dict[str, Any], stored: dict[str, int],
            cpu: float, batches: int, under_profiler: bool) -> Figure:
    count = int(found["count"])
    rate = float(found["updates_per_s"])
    complete = found["statuses"] == {"200": count} and all(
        stored[k] == count for k in ("stored", "handled", "feedback", "replies_queued"))
    return figure(
        "inbound", f"{channel} webhook texts", f">= {GOAL_PER_S:,} updates/s, each stored, "
        "handled and answered", rate >= GOAL_PER_S and complete, channel=channel,
        connections=connections, **found, **stored, server_cpu_s=rounded(cpu, 2),
        server_cpu_ms_per_update=rounded(1000 * cpu / count if count else None, 3),
        inbox_batches=batches, updates_per_batch=rounded(count / batches if batches else None, 1),
        profiled=under_profiler,
        summary=f"{rate:,.0f} updates/s, p50 {found['p50_ms']} ms, p99 {found['p99_ms']} ms "
                f"({count:,} over {connections} connections)",
    )


async def run(ctx: Context) -> None:
    members = int(ctx.mode.pick(20, 2_000, 20_000))
    count = int(ctx.mode.pick(40, 20_000, 100_000))
    max_s = float(ctx.mode.pick(30, 6, 45))  # per channel: quick mode stays under 2 minutes
    # Telegram opens up to 40 webhook connections by default (setWebhook max_connections).
    connections = int(ctx.mode.pick(8, 40, 40))
    url = await fresh_database(ctx.subdir("inbound"))
    await populate(url, [Cohort(c, members, FIRST_ID[c], c[0].upper()) for c in FIRST_ID])
    settings = settings_from_mapping({
        "database": {"url": url},
        "telegram": {"token": TELEGRAM_TOKEN, "api_base": UNUSED_API, "mode": "webhook",
                     "webhook_secret": SECRET},
        "viber": {"token": VIBER_TOKEN, "api_base": UNUSED_API},
    }, source="<bench>", environ={})
    engine = create_engine(url)
    inbox = Inbox(engine, Dialogs(texts.DIALOG))
    server = WebServer(engine, inbox.receive)
    base = await server.start("127.0.0.1", 0)
    deps = ChannelDeps(public_url=base)
    channels = {name: kind.build(settings, deps) for name, kind in configured(settings).items()}
    server.add_receivers([c for c in channels.values() if isinstance(c, WebhookReceiver)])
    try:
        for channel in ("telegram", "viber"):
            secret = SECRET if channel == "telegram" else VIBER_TOKEN
            spec = {"url": f"{base}/webhooks/{channel}", "kind": channel, "count": count,
                    "connections": connections, "first_id": FIRST_ID[channel],
                    "members": members, "secret": secret, "max_s": max_s}
            cpu, batches = time.process_time(), inbox.batches
            with profiled(sibling(ctx.profile, f"inbound-{channel}")):
                found = await loadgen(spec)
            cpu, batches = time.process_time() - cpu, inbox.batches - batches
            ctx.emit(_figure(channel, connections, found, await ledger(engine, channel), cpu,
                             batches, ctx.profile is not None))
            note(f"inbound/{channel}: {found['updates_per_s']:,.0f} updates/s")
    finally:
        for made in channels.values():
            await made.close()
        await server.close()
        await inbox.close()
        await engine.dispose()
