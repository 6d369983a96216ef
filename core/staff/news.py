"""News in the staff chat: a run finished (its reach and gap) and a channel that failed or
came back. Each is told once: a finished run is claimed by `campaign_runs.staff_told_at`
and a channel's state by the state-table key "staff:channel:<name>", both written in the
transaction that queues the news (two `rupor run` processes tell it once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.reach.gaps import RunGap, run_gap
from core.staff import texts
from core.staff.questions import MESSENGERS
from core.storage.engine import writing
from core.storage.models import Campaign, CampaignRun, KeyValue

Post = Callable[[AsyncConnection, str], Awaitable[int]]
CHANNEL_PREFIX = "staff:channel:"
TITLE_CHARS = 60  # the news names the campaign, not its whole first paragraph
REASON_CHARS = 160


async def untold_runs(reader: AsyncEngine) -> list[int]:
    """Finished runs the staff chat has not been told about (a cheap read)."""
    async with reader.connect() as conn:
        found = await conn.execute(select(CampaignRun.id).where(
            CampaignRun.status == "done", CampaignRun.staff_told_at.is_(None))
            .order_by(CampaignRun.id).limit(20))
        return [int(run_id) for run_id in found.scalars()]


async def tell_finished(engine: AsyncEngine, reader: AsyncEngine, post: Post,
                        now: datetime) -> int:
    """Queue the news of every finished run not told yet; how many were told here."""
    told = 0
    for run_id in await untold_runs(reader):
        async with writing(engine) as conn:
            claimed = await conn.execute(update(CampaignRun).where(
                CampaignRun.id == run_id, CampaignRun.staff_told_at.is_(None))
                .values(staff_told_at=now))
            if claimed.rowcount == 0:
                continue  # another process told it
            campaign_id, title = (await conn.execute(
                select(Campaign.id, Campaign.title).join(
                    CampaignRun, CampaignRun.campaign_id == Campaign.id)
                .where(CampaignRun.id == run_id))).one()
            await post(conn, run_text(int(campaign_id), str(title or ""),
                                      await run_gap(conn, run_id)))
            told += 1
    return told


def run_text(campaign_id: int, title: str, gap: RunGap) -> str:
    """"Рассылка №7 «…» завершена: дошло 40 из 50 (80%). Не дошло 10, больше всего: …"."""
    if gap.not_reached == 0:
        said = texts.RUN_ALL_REACHED
    else:
        schools = ", ".join(texts.RUN_GAP_SCHOOL.format(name=s.name, count=s.not_reached)
                            for s in gap.schools)
        said = texts.RUN_GAP.format(count=gap.not_reached, schools=schools)
    if gap.unreachable:
        said += texts.RUN_UNREACHABLE.format(count=gap.unreachable)
    return texts.RUN_DONE.format(id=campaign_id, title=_short(title), reached=gap.reached,
                                 people=gap.people, share=round(gap.share * 100), gap=said)


async def tell_channel(engine: AsyncEngine, post: Post, channel: str, failed: bool,
                       reason: str = "", cause: str = "") -> bool:
    """A channel failed (for a new cause) or runs again after a failure told before;
    whether the news was queued here (not when nothing changed or another process told)."""
    key = CHANNEL_PREFIX + channel
    state = f"failed:{cause}" if failed else "running"
    try:
        async with writing(engine) as conn:
            told = (await conn.execute(select(KeyValue.value)
                                       .where(KeyValue.key == key))).scalar()
            if told == state or (not failed and not str(told or "").startswith("failed")):
                return False
            if told is None:
                await conn.execute(insert(KeyValue).values(key=key, value=state))
            else:
                await conn.execute(update(KeyValue).where(KeyValue.key == key)
                                   .values(value=state))
            await post(conn, channel_text(channel, failed, reason, cause))
    except IntegrityError:  # PostgreSQL: another process inserted the key first and told
        return False
    return True


def channel_text(channel: str, failed: bool, reason: str, cause: str = "") -> str:
    """The news of a channel's change; a failure says what to check for its cause."""
    title = MESSENGERS.get(channel, channel)
    if not failed:
        return texts.CHANNEL_RECOVERED.format(title=title)
    said = texts.CHANNEL_FAILED.format(title=title, reason=_short(reason, REASON_CHARS))
    check = texts.CHANNEL_CHECK.get(cause)
    return f"{said} {check.format(section=channel)}" if check else said


def _short(text: str, limit: int = TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
