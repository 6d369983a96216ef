"""The scheduler's `notify` in `rupor run`: a missed run or a run held by quiet hours is told,
in Russian, to every account holding the press or admin role, in the bot's own chat on that
account's messenger — queued as a reply (the paced reply path, ahead of campaigns) — and,
through `staff_post`, in the bound staff chat(s) in the same transaction.

An account is written to only where Rupor has its contact (the account wrote to the bot at
least once) and its messenger is configured; any other is named in the log instead. The
scheduler calls this once per notice (scheduler.notices)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bots.chat import texts
from core.access.grants import list_grants
from core.access.rules import Role
from core.polls.announce import StaffPost
from core.ports import Span
from core.sending.replies import queue_reply
from core.storage.engine import writing
from core.storage.models import Campaign, Contact
from scheduler.notices import HeldRun, MissedRun, Notice
from scheduler.words import MONTHS_GENITIVE, clock_text

log = logging.getLogger("rupor.chat")

TOLD_ROLES = frozenset({str(Role.PRESS), str(Role.ADMIN)})
TITLE_CHARS = 60  # a notice names the campaign, not its whole first paragraph


class PressNotices:
    """Callable as the scheduler's `notify`; `on_queued` wakes the senders."""

    def __init__(self, engine: AsyncEngine, channels: Sequence[str],
                 on_queued: Callable[[], None] | None = None,
                 staff_post: StaffPost | None = None) -> None:
        self.engine, self.channels, self.on_queued = engine, list(channels), on_queued
        self.staff_post = staff_post  # the bound staff chat(s) too (core.staff's desk)

    async def __call__(self, notice: Notice) -> None:
        title = await _title(self.engine, notice.campaign_id)
        text = notice_text(notice, title)
        accounts = sorted({(g.channel, g.external_id) for g in await list_grants(self.engine)
                           if g.role in TOLD_ROLES})
        queued = 0
        async with writing(self.engine) as conn:
            for channel, account in accounts:
                contact_id = await _contact(conn, channel, account)
                if channel not in self.channels or contact_id is None:
                    log.warning("рассылка №%s: не могу сообщить %s:%s (%s): %s",
                                notice.campaign_id, channel, account,
                                "мессенджер не настроен" if channel not in self.channels
                                else "этот аккаунт ещё не писал боту", text)
                    continue
                await queue_reply(conn, channel, contact_id, (Span(text),))
                queued += 1
            if self.staff_post is not None and await self.staff_post(conn, text):
                queued += 1  # the desk said how many chats it queued to
        if not accounts and not queued:
            log.warning("рассылка №%s: некому сообщить (нет пресс-секретаря и администратора "
                        "— rupor admins add): %s", notice.campaign_id, text)
        if queued and self.on_queued is not None:
            self.on_queued()


def notice_text(notice: Notice, title: str) -> str:
    """The Russian message for one notice."""
    if isinstance(notice, HeldRun):
        return texts.HELD.format(id=notice.campaign_id, title=title, at=clock_text(notice.until))
    assert isinstance(notice, MissedRun)
    return texts.MISSED.format(id=notice.campaign_id, title=title, when=_when(notice.slot),
                               limit=texts.limit_text(int(notice.limit.total_seconds() // 60)))


def _when(slot: datetime) -> str:
    """"1 декабря, 10:00"."""
    return f"{slot.day} {MONTHS_GENITIVE[slot.month - 1]}, {clock_text(slot)}"


async def _title(engine: AsyncEngine, campaign_id: int) -> str:
    async with engine.connect() as conn:
        found = (await conn.execute(select(Campaign.title)
                                    .where(Campaign.id == campaign_id))).scalar()
    title = " ".join(str(found or "").split())
    if len(title) <= TITLE_CHARS:
        return title
    return title[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


async def _contact(conn: AsyncConnection, channel: str, account: str) -> int | None:
    found = await conn.execute(select(Contact.id).where(
        Contact.channel == channel, Contact.external_id == account))
    value = found.scalar()
    return None if value is None else int(value)
