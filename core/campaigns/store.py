"""Creating campaigns (checked against every target channel), cancelling them, and the audit
log of what was done to them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.audit import record
from core.audience.segments import parse_segment
from core.campaigns.content import (
    Content,
    ContentError,
    check,
    content_to_json,
)
from core.campaigns.media import read_leaflet, store_leaflet
from core.ports import Capabilities, MediaFile
from core.storage.models import Campaign, CampaignRun, utcnow


@dataclass(frozen=True)
class NewCampaign:
    text: str
    audience: str = "all"
    title: str = ""
    media_path: Path | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    channels: tuple[str, ...] | None = None
    routing: str = "all"
    run_at: datetime | None = None
    cron: str | None = None
    created_by: str = "cli"


async def create_campaign(
    engine: AsyncEngine, new: NewCampaign, capabilities: Mapping[str, Capabilities]
) -> int:
    """Validate the segment and the content (a file's real type and size too) for every
    target channel, then save it; nothing is stored when anything is refused."""
    parse_segment(new.audience)
    leaflet = read_leaflet(new.media_path) if new.media_path else None
    buttons = tuple(tuple(_link(t, u) for t, u in row) for row in new.buttons)
    content = Content(new.text, leaflet.described() if leaflet else None, buttons)
    targets = new.channels or tuple(capabilities)
    for name in targets:
        if name not in capabilities:
            raise ContentError(f"Канал {name} не настроен.")
        check(content, name, capabilities[name])
    media = await store_leaflet(engine, leaflet) if leaflet else None
    content = replace(content, media=media)
    status = "scheduled" if (new.run_at or new.cron) else "running"
    title = new.title or _title(new.text, media)
    async with engine.begin() as conn:
        campaign_id = (
            await conn.execute(
                insert(Campaign)
                .values(
                    kind="leaflet" if media else "post",
                    title=title,
                    content=content_to_json(content),
                    audience=new.audience,
                    channels=list(new.channels) if new.channels else None,
                    routing=new.routing,
                    run_at=new.run_at,
                    cron=new.cron,
                    status=status,
                    created_by=new.created_by,
                )
                .returning(Campaign.id)
            )
        ).scalar_one()
        await audit(conn, new.created_by, "campaign.create", {"campaign_id": campaign_id})
    return int(campaign_id)


def _link(text: str, url: str) -> Any:
    from core.ports import Button

    if not url.startswith(("https://", "http://")):
        raise ContentError(f"Кнопка «{text}»: ссылка должна начинаться с https://")
    return Button(text=text, url=url)


TITLE_CHARS = 80  # lists and reports show the title on one line


def _title(text: str, media: MediaFile | None) -> str:
    """The post's own heading: its first line up to a colon or full stop, else cut at a word."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", first.replace("*", "").replace("__", ""))
    heading = re.match(r"(.{12,}?)[:.!?](\s|$)", first)
    if heading and len(heading.group(1)) <= TITLE_CHARS:
        return heading.group(1).strip()
    if len(first) > TITLE_CHARS:
        return first[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;—- ") + "…"
    return first or (media.filename if media else "Сообщение")


async def audit(conn: AsyncConnection, actor: str, action: str, details: dict[str, Any]) -> None:
    """An entry in the audit log (core.access.audit), in the caller's transaction."""
    await record(conn, actor, action, details)


class CampaignNotFound(ContentError):
    """No campaign has this number."""


FINAL_STATUSES = {"done": "уже завершена", "cancelled": "уже отменена"}


async def cancel_campaign(engine: AsyncEngine, campaign_id: int, actor: str) -> int:
    """Stop a campaign: its pending deliveries are skipped; returns how many. A finished
    or cancelled campaign stays as it is (ContentError says why)."""
    from core.storage.models import Delivery

    async with engine.begin() as conn:
        status = (
            await conn.execute(select(Campaign.status).where(Campaign.id == campaign_id))
        ).scalar_one_or_none()
        if status is None:
            raise CampaignNotFound(f"Рассылки №{campaign_id} нет.")
        if status in FINAL_STATUSES:
            raise ContentError(
                f"Рассылка №{campaign_id} {FINAL_STATUSES[status]}: отменять нечего."
            )
        changed = await conn.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status.not_in(tuple(FINAL_STATUSES)))
            .values(status="cancelled")
        )
        if changed.rowcount == 0:  # it finished between the look and the change
            raise ContentError(f"Рассылка №{campaign_id} уже завершена: отменять нечего.")
        runs = select(CampaignRun.id).where(CampaignRun.campaign_id == campaign_id)
        result = await conn.execute(
            update(Delivery)
            .where(Delivery.run_id.in_(runs), Delivery.status.in_(("pending", "paused")))
            .values(status="cancelled")
        )
        await conn.execute(
            update(CampaignRun)
            .where(
                CampaignRun.campaign_id == campaign_id,
                CampaignRun.status.in_(("materialising", "sending")),
            )
            .values(status="cancelled", finished_at=utcnow())
        )
        await audit(conn, actor, "campaign.cancel", {"campaign_id": campaign_id})
        return max(result.rowcount, 0)


def channels_of(run_channels: Sequence[Any]) -> tuple[str, ...]:
    return tuple(str(c) for c in run_channels)
