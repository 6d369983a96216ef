"""A leaflet to a simulated union of 2,000 on Telegram, VK and Viber, end to end: import,
post to `all`, the suite sends until idle; then what each emulator and the report saw.

Telegram runs with paid broadcasts (`telegram_ceiling = 1000`): at 30 messages/s the ~1,000
Telegram members would take 35 s per campaign. The 30/s pacing is exercised by the crash
and `rupor run` tests of this directory and by tests/integration/test_telegram_sender.py.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources

import pytest
import pytest_asyncio

from bots.demo import LEAFLET_TEXT
from bots.registry import capabilities
from bots.suite import Suite
from core.campaigns.store import NewCampaign
from core.reach.report import ReachReport, reach_report
from core.sending.plan import load_plan
from core.storage.engine import create_engine
from tests.e2e.processes import Launcher
from tests.e2e.rig import CHANNELS, CONTACT_STATUS, Key, Rig, import_union, open_rig, post

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEMBERS = 2000
SEND_TIMEOUT_S = 90.0


@dataclass
class Broadcast:
    rig: Rig
    campaign_id: int
    run_id: int
    parts: dict[str, int]  # messages one recipient gets on each channel
    received: Counter[Key]
    report: ReachReport


async def send_until_idle(rig: Rig) -> None:
    """`rupor run --until-idle`, in this process (the emulators stay inspectable)."""
    suite = Suite(rig.settings())
    await asyncio.wait_for(suite.run(asyncio.Event(), until_idle=True), SEND_TIMEOUT_S)


async def parts_per_channel(rig: Rig, run_id: int) -> dict[str, int]:
    settings = rig.settings()
    engine = create_engine(rig.db_url, readonly=True)
    try:
        return {name: len((await load_plan(engine, run_id, name, caps)).parts)
                for name, caps in capabilities(settings).items()}
    finally:
        await engine.dispose()


async def report_of(rig: Rig, campaign_id: int) -> ReachReport:
    engine = create_engine(rig.db_url, readonly=True)
    try:
        report = await reach_report(engine, campaign_id)
    finally:
        await engine.dispose()
    assert report is not None
    return report


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broadcast(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Broadcast]:
    workdir = tmp_path_factory.mktemp("union")
    rig = await open_rig(workdir, workdir / "rupor.sqlite3", members=MEMBERS,
                         sending={"telegram_ceiling": 1000})
    try:
        await import_union(rig)
        leaflet = resources.files("bots") / "assets" / "leaflet.pdf"
        with resources.as_file(leaflet) as path:
            new = NewCampaign(text=LEAFLET_TEXT, media_path=path, title="Листок · декабрь")
            campaign_id, run_id = await post(rig, new)
        await send_until_idle(rig)
        yield Broadcast(rig, campaign_id, run_id, await parts_per_channel(rig, run_id),
                        rig.received(), await report_of(rig, campaign_id))
    finally:
        await rig.close()


async def test_every_active_contact_got_the_leaflet_exactly_once(broadcast: Broadcast) -> None:
    rig, parts = broadcast.rig, broadcast.parts
    assert parts["telegram"] == 1 and parts["vk"] == 1  # the caption fits under the file
    assert parts["viber"] == 2  # Viber files carry no text: the text follows the file
    wrong = {key: count for key, count in broadcast.received.items()
             if count != (parts[key[0]] if rig.state(key) == "active" else 0)}
    assert wrong == {}, f"{len(wrong)} accounts got the wrong number:\n{rig.ledger()}"
    active = Counter(key[0] for key in broadcast.received if rig.state(key) == "active")
    assert min(active.values()) > 200, active  # all three channels really took part
    stats = rig.stats()
    # The staff chat the sandbox presets may already have heard that the campaign finished.
    staff = str(rig.config.telegram_staff_chat_id)
    news = {"telegram": stats["telegram"]["accepted_messages_by_chat"].get(staff, 0)}
    assert news["telegram"] <= 1
    for name in CHANNELS:
        members_got = stats[name]["accepted_messages_total"] - news.get(name, 0)
        assert members_got == active[name] * parts[name], name
    # The leaflet went to each platform once and was reused for every member.
    assert stats["telegram"]["uploads_total"] == stats["vk"]["uploads_total"] == 1
    assert stats["viber"]["media_fetches"] == 1  # from our own server, by URL


async def test_members_who_left_are_marked_in_contacts(broadcast: Broadcast) -> None:
    rig = broadcast.rig
    statuses = rig.contact_status()
    left = Counter[str]()
    for _, account in rig.accounts():
        key = (account.platform, account.external_id)
        state = rig.state(key)
        expected = "active" if state == "active" else CONTACT_STATUS[(key[0], state)]
        assert statuses[key] == expected, (key, state)
        left[state] += state != "active"
    assert left["blocked"] and left["denied"] and left["unsubscribed"] and left["deactivated"]
    ledger = rig.deliveries(broadcast.run_id)
    refused = {k: v for k, v in ledger.items() if v[0] in ("blocked", "unsubscribed")}
    assert len(refused) == sum(left.values())
    assert all(attempts == 1 for _, attempts, _ in refused.values())  # never retried


async def test_no_rate_errors_and_no_request_inside_a_retry_window(broadcast: Broadcast) -> None:
    stats = broadcast.rig.stats()
    telegram, vk, viber = stats["telegram"], stats["vk"], stats["viber"]
    assert telegram["rate_limited"] == 0 and telegram["violations"] == 0
    assert "429" not in telegram["errors_by_code"]
    assert vk["error_6_total"] == 0 and vk["violations"] == 0
    assert viber["status_12"] == 0 and viber["rate_limited"] == 0 and viber["violations"] == 0
    assert vk["max_requests_in_1s"] <= 20
    assert viber["max_requests_in_rate_window"] <= 500


async def test_reach_report_agrees_with_the_emulators(broadcast: Broadcast) -> None:
    rig, report = broadcast.rig, broadcast.report
    got = {key for key, count in broadcast.received.items() if count}
    people = rig.union.people
    reached = [p for p in people if any((a.platform, a.external_id) in got for a in p.accounts)]
    listed = [p for p in people if any(a.listed for a in p.accounts)]
    total = report.total.counts
    assert total["targeted"] == MEMBERS
    assert report.total.reached == total["sent"] == len(reached)
    assert total["blocked"] == len(listed) - len(reached)
    assert total["unreachable"] == MEMBERS - len(listed)
    assert total["uncertain"] == total["failed"] == total["in_progress"] == 0
    assert total["flagged"] == 0
    for name in CHANNELS:
        assert report.channels[name].reached == sum(1 for key in got if key[0] == name)
    # A member on two messengers who got it on both counts once in the total.
    twice = [p for p in reached
             if sum((a.platform, a.external_id) in got for a in p.accounts) == 2]
    assert len(twice) > 20
    by_channel = sum(report.channels[name].reached for name in CHANNELS)
    assert report.total.reached == by_channel - len(twice)


async def test_campaigns_report_command_prints_the_same_totals(
    broadcast: Broadcast, launcher: Launcher
) -> None:
    rig = broadcast.rig
    config = rig.write_config()
    args = ["--config", str(config), "campaigns", "report", str(broadcast.campaign_id)]
    job = await launcher.run(args, rig.workdir, "report")
    line = next(ln.strip() for ln in job.stdout().splitlines()
                if ln.strip().startswith("Итого (людей)"))
    total = broadcast.report.total
    # Numbers are grouped with a narrow no-break space ("3 000"): compare digits only.
    cells = [c.replace("\u202f", "") for c in line.removeprefix("Итого (людей)").split(" ") if c]
    share = f"{100 * total.share:.1f}".replace(".", ",")
    assert cells[:3] == [str(MEMBERS), str(total.reached), share]
    assert cells[-1] == str(total.counts["unreachable"])
    scripted = await launcher.run([*args, "--json"], rig.workdir, "report-json")
    counts = json.loads(scripted.stdout())["total"]["counts"]
    assert counts["targeted"] == MEMBERS and counts["flagged"] == 0
    assert (counts["blocked"], counts["unreachable"]) == (
        total.counts["blocked"], total.counts["unreachable"])


async def test_a_second_campaign_never_calls_those_who_left(broadcast: Broadcast) -> None:
    rig = broadcast.rig
    before, stats_before = rig.received(), rig.stats()
    _, run_id = await post(rig, NewCampaign(text="Собрание профкома в четверг в 15:00."))
    await send_until_idle(rig)
    after, stats = rig.received(), rig.stats()
    new = {key: after[key] - before[key] for key in after}
    assert all(new[key] == (1 if rig.state(key) == "active" else 0) for key in new)
    # Not one request for those who left: one sendMessage per active Telegram member, no
    # new refusal anywhere, no 429 either (a 409 from getUpdates, when the next suite starts
    # polling while the emulator still holds the last one's long poll, is not a send).
    active_tg = sum(1 for key in new if key[0] == "telegram" and rig.state(key) == "active")
    sends = [s["telegram"]["requests_by_method"].get("sendMessage", 0)
             for s in (stats_before, stats)]
    # Chats that are not members' — the staff chat the sandbox presets (a campaign finished:
    # the first one's news may go out during this run, this one's after it) and the press
    # secretary who posted — hear about the campaigns: not member sends, not counted.
    members = {key[1] for key in new if key[0] == "telegram"}
    accepted = [s["telegram"]["accepted_messages_by_chat"] for s in (stats_before, stats)]
    others = sum(count - accepted[0].get(chat, 0) for chat, count in accepted[1].items()
                 if chat not in members)
    staff = str(rig.config.telegram_staff_chat_id)
    assert 0 <= accepted[1].get(staff, 0) - accepted[0].get(staff, 0) <= 2
    assert sends[1] - sends[0] - others == active_tg, (
        {chat: count - accepted[0].get(chat, 0) for chat, count in accepted[1].items()
         if chat not in members and count != accepted[0].get(chat, 0)},
        stats["telegram"]["errors"], stats_before["telegram"]["errors"])
    for code in ("400", "403", "429"):
        assert (stats["telegram"]["errors_by_code"].get(code)
                == stats_before["telegram"]["errors_by_code"].get(code)), code
    assert stats["vk"]["per_peer_errors"] == stats_before["vk"]["per_peer_errors"]
    assert stats["vk"]["errors_by_code"] == stats_before["vk"]["errors_by_code"]
    assert (stats["viber"]["broadcast_failed_receivers"]
            == stats_before["viber"]["broadcast_failed_receivers"])
    assert stats["viber"]["errors_by_status"] == stats_before["viber"]["errors_by_status"]
    for key, (status, attempts, _) in rig.deliveries(run_id).items():
        if rig.state(key) != "active":
            assert status in ("blocked", "unsubscribed") and attempts == 0, key
