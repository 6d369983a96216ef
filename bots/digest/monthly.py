"""The digest's two monthly jobs, started by `rupor run` beside the scheduler: on the 25th
at 10:00 (the union's time zone) a reminder to every staff account with no report for the
month; on the 1st at 09:00 the previous month's digest, built and handed to `deliver`
(the staff chat, with the approval buttons). APScheduler wakes `tick` at those times and
once at start; `tick` decides from the clock (core.digest.month) and a once-per-month mark
in the database, so a restart, a late start or a second process never repeats a job."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.digest import texts
from bots.digest.build import Built, build_digest, default_name
from core.audience.members import contact_for
from core.digest.content import gather, union_of
from core.digest.month import Month, digest_due, reminder_due
from core.digest.reports import mark_once, store_file, without_report
from core.ports import Sender, Span
from core.sending.replies import queue_reply
from core.storage.engine import writing
from core.storage.models import KeyValue

log = logging.getLogger("rupor.digest")

Deliver = Callable[[Built, int], Awaitable[int]]  # (the digest, its media id) -> targets
Clock = Callable[[], datetime]


def reminded_key(month: Month) -> str:
    return f"digest:reminded:{month.key}"


def built_key(month: Month) -> str:
    return f"digest:built:{month.key}"


def pdf_key(month: Month) -> str:
    """The media id of the month's digest PDF (what «Одобрить» sends)."""
    return f"digest:pdf:{month.key}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class MonthlyDigest:
    def __init__(self, engine: AsyncEngine, default_tz: str, deliver: Deliver,
                 clock: Clock = utc_now, on_replies: Callable[[], None] | None = None) -> None:
        self.engine, self.default_tz, self.deliver = engine, default_tz, deliver
        self.clock, self.on_replies = clock, on_replies
        self.jobs: AsyncIOScheduler | None = None

    async def start(self) -> None:
        _union, tz = await union_of(self.engine, self.default_tz)
        await self.tick()
        self.jobs = AsyncIOScheduler(timezone=tz)
        for day, hour in ((25, 10), (1, 9)):
            self.jobs.add_job(self.tick, CronTrigger(day=day, hour=hour, timezone=tz),
                              misfire_grace_time=None, coalesce=True)
        self.jobs.start()

    async def stop(self) -> None:
        if self.jobs is not None and self.jobs.running:
            self.jobs.shutdown(wait=False)

    async def tick(self) -> None:
        """Whatever is due now: the reminder, the digest (each once a month)."""
        _union, tz = await union_of(self.engine, self.default_tz)
        now = self.clock()
        month = reminder_due(now, tz)
        if month is not None:
            await self.remind(month)
        month = digest_due(now, tz)
        if month is not None:
            try:
                await self.compile(month)
            except Exception:  # told in the log; the next start within the week retries
                log.exception("сборник за %s не собран (повторим при следующем запуске); "
                              "вручную: rupor digest build --month %s", month.words, month.key)

    async def remind(self, month: Month) -> int:
        """Queue the reminder to the staff accounts without a report; how many (0 when it
        was sent already)."""
        async with writing(self.engine) as conn:
            if not await mark_once(conn, reminded_key(month)):
                return 0
            missing = await without_report(conn, month)
            for channel, account in missing:
                contact = await contact_for(conn, Sender(channel, account))
                await queue_reply(conn, channel, contact.id,
                                  (Span(texts.REMINDER.format(month=month.name)),))
        log.info("сборник: напоминание об отчёте за %s — %d сотрудникам", month.words,
                 len(missing))
        if missing and self.on_replies is not None:
            self.on_replies()
        return len(missing)

    async def compile(self, month: Month) -> Built | None:
        """Build the month's digest and deliver it, once (None when done already, or when
        the month has nothing to compile: no report, no campaign, no closed poll). A month
        with campaigns or polls but no staff report still gets its digest: the members'
        reach and the polls' results are the union's information work too."""
        union, tz = await union_of(self.engine, self.default_tz)
        if (await gather(self.engine, month, tz, union)).empty:
            log.info("сборник за %s: ни отчётов, ни рассылок, ни опросов — не собирается",
                     month.words)
            return None
        async with writing(self.engine) as conn:
            if not await mark_once(conn, built_key(month)):
                return None
        try:
            built, media_id = await self._build(month)
            targets = await self.deliver(built, media_id)
        except Exception:
            # Retried by the next tick (a restart within the week): a staff chat may then
            # get the PDF twice, which is better than a digest that never reaches anyone.
            await self._unmark(built_key(month))
            raise
        log.info("сборник за %s собран и отправлен на одобрение (%d чатов)", month.words,
                 targets)
        return built

    async def _build(self, month: Month) -> tuple[Built, int]:
        """Render into a temporary folder and keep the PDF in `media`; the Built carries
        the bytes, since the folder is removed before the digest is delivered."""
        with tempfile.TemporaryDirectory(prefix="rupor-digest-") as folder:
            built = await build_digest(self.engine, month, Path(folder) / default_name(month),
                                       self.default_tz, self.clock())
        stored = await store_file(self.engine, default_name(month), "application/pdf",
                                  built.pdf)
        async with writing(self.engine) as conn:
            await conn.execute(delete(KeyValue).where(KeyValue.key == pdf_key(month)))
            await mark_once(conn, pdf_key(month), str(stored.media_id))
        return built, stored.media_id

    async def _unmark(self, key: str) -> None:
        async with writing(self.engine) as conn:
            await conn.execute(delete(KeyValue).where(KeyValue.key == key))
