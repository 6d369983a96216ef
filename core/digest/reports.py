"""Staff reports: what a staff account sent with /отчёт for a month, every report kept in
order (the digest prints them one after another), the files in `media`; who has not
reported yet; and the once-per-month marks of the two monthly jobs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import reading
from core.access.grants import list_grants
from core.access.rules import Role
from core.digest.month import Month
from core.storage.digest_tables import StaffReport
from core.storage.models import Contact, KeyValue, Media, Person


@dataclass(frozen=True)
class Attachment:
    media_id: int
    filename: str
    mime: str

    @property
    def is_image(self) -> bool:
        return self.mime in ("image/jpeg", "image/png")


@dataclass(frozen=True)
class Report:
    report_id: int
    channel: str
    account: str
    author: str  # the member's full name, the account's display name, or the account
    text: str
    attachments: tuple[Attachment, ...]
    created_at: datetime


async def add_report(conn: AsyncConnection, channel: str, account: str, month: Month,
                     text: str, attachments: Sequence[Attachment]) -> int:
    """Keep one report (inside the caller's transaction); its id."""
    refs = [{"media_id": a.media_id, "filename": a.filename, "mime": a.mime}
            for a in attachments]
    found = await conn.execute(insert(StaffReport).values(
        channel=channel, account=account, month=month.key, text=text.strip(),
        attachments=refs).returning(StaffReport.id))
    return int(found.scalar_one())


async def store_file(engine: AsyncEngine, filename: str, mime: str, content: bytes
                     ) -> Attachment:
    """Keep a report's file once (by content hash), whatever its type."""
    digest = hashlib.sha256(content).hexdigest()
    async with engine.begin() as conn:
        media_id = (await conn.execute(select(Media.id).where(Media.sha256 == digest))).scalar()
        if media_id is None:
            media_id = (await conn.execute(insert(Media).values(
                sha256=digest, filename=filename, mime=mime, size=len(content),
                content=content).returning(Media.id))).scalar_one()
    return Attachment(int(media_id), filename, mime)


_AUTHOR = (select(StaffReport.id, StaffReport.channel, StaffReport.account, StaffReport.text,
                  StaffReport.attachments, StaffReport.created_at, Person.full_name,
                  Contact.display_name)
           .outerjoin(Contact, (Contact.channel == StaffReport.channel)
                      & (Contact.external_id == StaffReport.account))
           .outerjoin(Person, Person.id == Contact.person_id))


async def reports_of(db: AsyncEngine | AsyncConnection, month: Month) -> list[Report]:
    """The month's reports, author by author (in the order they first reported), each
    author's in the order sent."""
    async with reading(db) as conn:
        rows = (await conn.execute(_AUTHOR.where(StaffReport.month == month.key)
                                   .order_by(StaffReport.id))).all()
    found = [_report(row) for row in rows]
    first: dict[tuple[str, str], int] = {}
    for index, report in enumerate(found):
        first.setdefault((report.channel, report.account), index)
    return sorted(found, key=lambda r: (first[(r.channel, r.account)], r.report_id))


def _report(row: Any) -> Report:
    attachments = tuple(Attachment(int(a["media_id"]), str(a["filename"]), str(a["mime"]))
                        for a in row.attachments or [])
    author = row.full_name or row.display_name or f"{row.channel}:{row.account}"
    return Report(row.id, row.channel, row.account, author, row.text, attachments,
                  row.created_at)


async def staff_accounts(db: AsyncEngine | AsyncConnection) -> list[tuple[str, str]]:
    """The accounts holding the staff role: who reports every month."""
    return sorted({(g.channel, g.external_id) for g in await list_grants(db)
                   if g.role == Role.STAFF})


async def without_report(db: AsyncEngine | AsyncConnection, month: Month
                         ) -> list[tuple[str, str]]:
    """Staff accounts that sent no report for `month`."""
    async with reading(db) as conn:
        done = {(str(c), str(a)) for c, a in (await conn.execute(
            select(StaffReport.channel, StaffReport.account)
            .where(StaffReport.month == month.key))).all()}
        return [account for account in await staff_accounts(conn) if account not in done]


async def media_content(db: AsyncEngine | AsyncConnection, media_id: int) -> bytes:
    async with reading(db) as conn:
        found = (await conn.execute(select(Media.content).where(Media.id == media_id))).scalar()
    return bytes(found or b"")


async def mark_once(conn: AsyncConnection, key: str, value: str = "1") -> bool:
    """Set a once-only mark (a month's reminder sent, its digest built) inside the caller's
    transaction; False when it was already set, by this process or another."""
    if (await conn.execute(select(KeyValue.key).where(KeyValue.key == key))).scalar():
        return False
    try:
        async with conn.begin_nested():
            await conn.execute(insert(KeyValue).values(key=key, value=value))
    except IntegrityError:
        return False
    return True


async def mark_of(db: AsyncEngine | AsyncConnection, key: str) -> str | None:
    async with reading(db) as conn:
        found = (await conn.execute(select(KeyValue.value).where(KeyValue.key == key))).scalar()
    return None if found is None else str(found)
