"""The operator's view of a real suite against the sandbox: /healthz says every channel runs
(200) or which does not (503), /metrics is strict Prometheus text whose counters grow with a
small campaign and a member's message, and the JSON log carries each run's ids."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bots.logs import JsonLines
from bots.startup import Backoff
from bots.suite import Suite
from core.campaigns.store import NewCampaign
from tests.e2e.rig import Rig, eventually, import_union, open_rig, post

MEMBERS = 120
TIMEOUT_S = 60.0
FAST = Backoff(first_s=0.2, max_s=1.0)
CHANNELS = ("telegram", "vk", "viber")

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{({_LABEL}(?:,{_LABEL})*)?\}})? (\S+)$")
_META = re.compile(rf"^# (HELP|TYPE) ({_NAME}) (.*)$")
Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_exposition(text: str) -> Series:
    """Prometheus text format 0.0.4, strictly: every sample of a declared family, once."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    series: Series = {}
    for line in text.splitlines():
        meta = _META.match(line)
        if meta:
            if meta[1] == "TYPE":
                assert meta[3] in ("counter", "gauge") and meta[2] not in types, line
                types[meta[2]] = meta[3]
            continue
        sample = _SAMPLE.match(line)
        assert sample, f"not a sample: {line!r}"
        name, labels = sample[1], frozenset(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"',
                                                       sample[2] or ""))
        assert name in types, f"{name} has no # TYPE"
        assert types[name] != "counter" or name.endswith("_total"), name
        value = float(sample[3])
        assert value >= 0 or types[name] == "gauge"
        assert (name, labels) not in series, f"duplicate series {line}"
        series[(name, labels)] = value
    return series


def value(series: Series, name: str, **labels: str) -> float:
    return series[(name, frozenset(labels.items()))]


@asynccontextmanager
async def running(rig: Rig) -> AsyncIterator[tuple[Suite, str]]:
    """The real suite, and the base URL of its own server ([server] port from the rig)."""
    stop = asyncio.Event()
    suite = Suite(rig.settings(), start_backoff=FAST)
    task = asyncio.create_task(suite.run(stop))
    try:
        await eventually(lambda: suite.server is not None and suite.server.port > 0
                         or task.done(), TIMEOUT_S, "the server to listen")
        assert not task.done() and suite.server is not None
        yield suite, f"http://127.0.0.1:{suite.server.port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, TIMEOUT_S)


async def fetch(base: str, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(base + path) as answer:
        return answer.status, await answer.text()


async def health(base: str) -> tuple[int, dict[str, Any]]:
    status, text = await fetch(base, "/healthz")
    return status, json.loads(text)


def finished(rig: Rig, run_id: int) -> bool:
    return not rig.query("SELECT 1 FROM deliveries WHERE run_id = ? AND status IN "
                         "('pending', 'claimed') LIMIT 1", run_id)


def sent(rig: Rig, run_id: int, channel: str) -> int:
    return rig.query("SELECT COUNT(*) FROM deliveries WHERE run_id = ? AND channel = ? AND "
                     "status IN ('sent', 'delivered', 'read')", run_id, channel)[0][0]


async def test_healthz_metrics_and_json_logs_of_a_small_campaign(tmp_path: Path) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=MEMBERS)
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)  # setLevel, not .level =: loggers cache isEnabledFor
    try:
        await import_union(rig)
        async with running(rig) as (suite, base):
            await eventually(lambda: not suite.down_channels(), TIMEOUT_S, "channels to run")
            status, body = await health(base)
            assert status == 200 and body["status"] == "ok", body
            assert {n: c["state"] for n, c in body["channels"].items()} == dict.fromkeys(
                CHANNELS, "running")
            assert body["queue"]["telegram"] == {"pending": 0, "claimed": 0}
            assert body["database"]["ok"] and "next_fire" in body["scheduler"]
            before = parse_exposition((await fetch(base, "/metrics"))[1])

            campaign_id, run_id = await post(rig, NewCampaign(
                text="Собрание профкома в пятницу", title="Собрание"))
            for sender in suite.senders.values():
                sender.wake()
            await eventually(lambda: finished(rig, run_id), TIMEOUT_S, "the campaign to go")
            member = next(a for _, a in rig.accounts("telegram")
                          if rig.state(("telegram", a.external_id)) == "active")
            rig.union.find(f"tg:{member.external_id}").say("Когда собрание?")
            await eventually(lambda: suite.ops is not None and
                             suite.ops.inbound.per_channel["telegram"] > 0, TIMEOUT_S,
                             "the member's message to reach the inbox")

            async def settled() -> bool:  # the queue's figures are cached for a moment
                series = parse_exposition((await fetch(base, "/metrics"))[1])
                return all(value(series, "rupor_queue_depth", channel=channel,
                                 status="pending") == 0 for channel in CHANNELS)

            await eventually(settled, TIMEOUT_S, "the metrics to show an empty queue")
            after = parse_exposition((await fetch(base, "/metrics"))[1])
            status, body = await health(base)
        assert status == 200 and body["queue"]["vk"] == {"pending": 0, "claimed": 0}
        for channel in CHANNELS:
            grown = (value(after, "rupor_sends_total", channel=channel, status="sent")
                     - value(before, "rupor_sends_total", channel=channel, status="sent"))
            assert grown >= sent(rig, run_id, channel) > 0, (channel, rig.ledger())
            assert value(after, "rupor_channel_up", channel=channel) == 1
            assert value(after, "rupor_queue_depth", channel=channel, status="pending") == 0
            assert value(after, "rupor_retry_after_waits_total", channel=channel) >= 0
        assert value(after, "rupor_inbound_updates_total", channel="telegram") >= 1
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        await rig.close()
    events = [json.loads(line) for line in lines.getvalue().splitlines()]  # every line JSON
    ids = {(e["event"], e.get("campaign_id"), e.get("run_id")) for e in events}
    assert ("run.materialised", campaign_id, run_id) in ids
    assert ("run.finished", campaign_id, run_id) in ids
    assert all({"ts", "level", "logger", "event", "message"} <= set(e) for e in events)


async def test_healthz_is_503_while_a_channel_is_down(tmp_path: Path) -> None:
    rig = await open_rig(tmp_path, tmp_path / "rupor.sqlite3", members=MEMBERS, seed=2)
    try:
        await import_union(rig)
        await rig.sandbox.viber.close()  # Viber's API is out of reach
        async with running(rig) as (suite, base):
            await eventually(lambda: suite.settled_channels() is not None, TIMEOUT_S,
                             "every channel's first attempt")
            status, body = await health(base)
            metrics = parse_exposition((await fetch(base, "/metrics"))[1])
        assert status == 503 and body["status"] == "degraded", body
        viber = body["channels"]["viber"]
        assert viber["state"] == "failed" and viber["reason"].startswith("нет связи"), viber
        assert body["channels"]["telegram"]["state"] == "running"
        assert value(metrics, "rupor_channel_up", channel="viber") == 0
        assert value(metrics, "rupor_channel_up", channel="vk") == 1
    finally:
        await rig.close()
