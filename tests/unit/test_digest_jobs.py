"""The digest's monthly jobs with an injected clock on a real SQLite file: the reminder on
the 25th at 10:00 goes once to exactly the staff account without a report; on the 1st at
09:00 the previous month's digest is built once and handed to delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.digest.approval import deliverer
from bots.digest.build import Built
from bots.digest.monthly import MonthlyDigest
from core.campaigns.store import NewCampaign, create_campaign
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.recording import FAST, RecordingChannel
from core.staff.binding import bind
from core.storage.models import Campaign, Contact, Reply
from tests.digest_support import NOVEMBER, make_month
from tests.factories import make_union

MSK = ZoneInfo("Europe/Moscow")


async def _reminded(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(Contact.external_id, Reply.content).join(
            Reply, Reply.contact_id == Contact.id).order_by(Reply.id))
        return [str(account) for account, content in rows.all()
                if "Напоминание: до конца месяца пришлите отчёт" in str(content)]


async def test_the_monthly_jobs_run_once_when_due(engine: AsyncEngine) -> None:
    await make_month(engine)
    now = [datetime(2026, 11, 25, 9, 59, tzinfo=MSK)]
    delivered: list[tuple[Built, int]] = []

    async def deliver(built: Built, media_id: int) -> int:
        delivered.append((built, media_id))
        return 1

    jobs = MonthlyDigest(engine, "Europe/Moscow", deliver, clock=lambda: now[0])
    await jobs.tick()
    assert await _reminded(engine) == []
    now[0] = datetime(2026, 11, 25, 10, 0, tzinfo=MSK)
    await jobs.tick()
    await jobs.tick()
    assert await _reminded(engine) == ["100002"]
    assert delivered == []
    now[0] = datetime(2026, 12, 1, 9, 5, tzinfo=MSK)
    await jobs.tick()
    await jobs.tick()
    assert [(b.content.month, b.counts["reports"]) for b, _ in delivered] == [(NOVEMBER, 3)]


async def test_the_built_digest_reaches_the_staff_chat_as_a_pdf(engine: AsyncEngine) -> None:
    """The scheduled build once failed with FileNotFoundError: the job rendered into a
    TemporaryDirectory, left the `with` block (removing the folder), and only then handed
    the digest to the real deliverer, which read `built.path`. Delivered through the real
    deliverer and a channel's paced sender, the staff chat gets the PDF itself."""
    await make_month(engine)
    async with engine.begin() as conn:
        await bind(conn, "telegram", "-100500", "Аппарат")
    staff_chat = RecordingChannel("telegram")
    sender = ChannelSender(engine, staff_chat, Policy())
    jobs = MonthlyDigest(engine, "Europe/Moscow", deliverer(engine, {"telegram": sender}),
                         clock=lambda: datetime(2026, 12, 1, 9, 5, tzinfo=MSK))
    await jobs.tick()
    ((chat, message),) = staff_chat.sent
    assert chat == "-100500" and message.media is not None
    assert (message.media.content or b"").startswith(b"%PDF")
    assert "Информационный сборник за ноябрь 2026" in message.text[0].text
    assert [b.text for row in message.buttons for b in row][0].startswith("✅")


async def test_a_failed_build_is_retried_and_an_empty_month_is_skipped(
    engine: AsyncEngine,
) -> None:
    """A month with a campaign but no staff report still gets its digest; a month with
    nothing is not built; a build whose delivery failed is retried by the next tick (a
    restart) instead of being marked done."""
    await make_union(engine)
    campaign_id = await create_campaign(engine, NewCampaign("Собрание в пятницу",
                                                           title="Собрание"), {"loopback": FAST})
    async with engine.begin() as conn:
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(created_at=datetime(2026, 11, 20, 9, tzinfo=UTC)))
    delivered: list[Built] = []
    failures = [1]

    async def deliver(built: Built, media_id: int) -> int:
        if failures:
            failures.pop()
            raise OSError("the disk is full")
        delivered.append(built)
        return 1

    now = [datetime(2026, 11, 1, 9, 5, tzinfo=MSK)]  # October: nothing happened
    jobs = MonthlyDigest(engine, "Europe/Moscow", deliver, clock=lambda: now[0])
    await jobs.tick()
    assert failures and delivered == []  # not even built
    now[0] = datetime(2026, 12, 1, 9, 5, tzinfo=MSK)
    await jobs.tick()  # November: built, delivery failed
    assert not failures and delivered == []
    await jobs.tick()
    await jobs.tick()
    assert [b.counts for b in delivered] == [
        {"reports": 0, "authors": 0, "campaigns": 1, "polls": 0}]
