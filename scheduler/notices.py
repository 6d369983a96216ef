"""What the scheduler tells people. A missed run goes to `notify` (the press secretary's
chat will plug in here; until then the default writes one Russian log line — the audit log
already has the `run.missed` entry)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger("rupor.scheduler")


@dataclass(frozen=True)
class MissedRun:
    """A slot recorded missed: it came due while Rupor was not running, too long ago."""

    campaign_id: int
    slot: datetime  # aware, in the campaign's time zone
    late_by: timedelta


def missed_text(missed: MissedRun) -> str:
    hours = missed.late_by.total_seconds() / 3600
    return (f"Рассылка №{missed.campaign_id} не отправлена: её время "
            f"{missed.slot:%d.%m.%Y %H:%M} прошло, пока Rupor не работал "
            f"(опоздание {hours:.1f} ч — больше допустимого). Отправить сейчас: "
            f"rupor campaigns list, затем rupor post … --now")


async def log_missed(missed: MissedRun) -> None:
    """The default `notify`: one warning line."""
    log.warning("планировщик: %s", missed_text(missed))


def log_started(campaign_id: int, slot: datetime, run_id: int | None) -> None:
    log.info("планировщик: рассылка №%s — запуск №%s на %s", campaign_id, run_id,
             f"{slot:%d.%m.%Y %H:%M}")
