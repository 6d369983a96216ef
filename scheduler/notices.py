"""What the scheduler tells people: a slot recorded missed, and a slot held by quiet hours.

`notify` (injected into the service; the chat layer's press notices in `rupor run`, one
Russian log line by default) is called once per notice: a missed slot only by the process
whose insert of the `missed` run row won, a held slot only by the process whose insert of
its marker in the `state` table won — so two processes, or a restart during the hold, never
tell twice. The audit log has the `run.missed` entry either way."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.storage.models import KeyValue

log = logging.getLogger("rupor.scheduler")

HELD_PREFIX = "notice:held:"  # state keys of held slots already told about


@dataclass(frozen=True)
class MissedRun:
    """A slot recorded missed: it came due while Rupor was not running, too long ago."""

    campaign_id: int
    slot: datetime  # aware, in the campaign's time zone
    late_by: timedelta
    limit: timedelta = timedelta(hours=6)  # the campaign's lateness limit


@dataclass(frozen=True)
class HeldRun:
    """A slot that came due in quiet hours: it starts when they end."""

    campaign_id: int
    slot: datetime  # aware, in the campaign's time zone
    until: datetime  # aware, in the campaign's time zone


Notice = MissedRun | HeldRun


def missed_text(missed: MissedRun) -> str:
    hours = missed.late_by.total_seconds() / 3600
    return (f"Рассылка №{missed.campaign_id} не отправлена: её время "
            f"{missed.slot:%d.%m.%Y %H:%M} прошло, пока Rupor не работал "
            f"(опоздание {hours:.1f} ч — больше допустимого). Отправить сейчас: "
            f"/resend {missed.campaign_id} в чате с ботом")


def held_text(held: HeldRun) -> str:
    return (f"Рассылка №{held.campaign_id} будет отправлена в "
            f"{held.until:%d.%m.%Y %H:%M} — сейчас тихие часы")


async def log_notice(notice: Notice) -> None:
    """The default `notify`: one line in the log."""
    if isinstance(notice, MissedRun):
        log.warning("планировщик: %s", missed_text(notice))
    else:
        log.info("планировщик: %s", held_text(notice))



async def first_hold_notice(engine: AsyncEngine, campaign_id: int, slot: datetime) -> bool:
    """True for the one call (of any process) that first marks this held slot as told."""
    key = f"{HELD_PREFIX}{campaign_id}:{slot.timestamp():.0f}"
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(KeyValue).values(key=key, value="").on_conflict_do_nothing()
        else:
            stmt = insert(KeyValue).values(key=key, value="").prefix_with("OR IGNORE")
        return bool((await conn.execute(stmt)).rowcount == 1)


def log_started(campaign_id: int, slot: datetime, run_id: int | None) -> None:
    log.info("планировщик: рассылка №%s — запуск №%s на %s", campaign_id, run_id,
             f"{slot:%d.%m.%Y %H:%M}", extra={"event": "run.started",
                                            "campaign_id": campaign_id, "run_id": run_id})
