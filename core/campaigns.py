"""Creating campaigns (checked against every target channel) and loading what a run sends."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from core.audience.segments import parse_segment
from core.content import Content, ContentError, buttons_from_json, check, content_to_json, parts
from core.ports import Capabilities, MediaFile, Outbound
from core.storage.models import Audit, Campaign, CampaignRun, Media, MediaRef, utcnow

MAX_MEDIA_BYTES = 50 * 1024 * 1024  # Telegram's upload limit for bots
LEAFLET_TYPES = {"application/pdf", "image/jpeg", "image/png"}


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


async def store_media(engine: AsyncEngine, path: Path) -> MediaFile:
    """Keep a leaflet in the database once (by content hash) and describe it."""
    data = path.read_bytes()
    if len(data) > MAX_MEDIA_BYTES:
        raise ContentError(f"Файл {path.name} больше 50 МБ — мессенджеры его не примут.")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime not in LEAFLET_TYPES:
        raise ContentError(f"Файл {path.name}: отправить можно PDF, JPEG или PNG.")
    digest = hashlib.sha256(data).hexdigest()
    async with engine.begin() as conn:
        media_id = (
            await conn.execute(select(Media.id).where(Media.sha256 == digest))
        ).scalar_one_or_none()
        if media_id is None:
            media_id = (
                await conn.execute(
                    insert(Media)
                    .values(
                        sha256=digest, filename=path.name, mime=mime, size=len(data), content=data
                    )
                    .returning(Media.id)
                )
            ).scalar_one()
    return MediaFile(int(media_id), digest, path.name, mime, len(data))


async def create_campaign(
    engine: AsyncEngine, new: NewCampaign, capabilities: Mapping[str, Capabilities]
) -> int:
    """Validate the segment and the content for every target channel, then save it."""
    parse_segment(new.audience)
    media = await store_media(engine, new.media_path) if new.media_path else None
    buttons = tuple(tuple(_link(t, u) for t, u in row) for row in new.buttons)
    content = Content(text=new.text, media=media, buttons=buttons)
    targets = new.channels or tuple(capabilities)
    for name in targets:
        if name not in capabilities:
            raise ContentError(f"Канал {name} не настроен.")
        check(content, name, capabilities[name])
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


def _title(text: str, media: MediaFile | None) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = first.replace("*", "").replace("__", "")
    return first[:80] or (media.filename if media else "Сообщение")


async def audit(conn: AsyncConnection, actor: str, action: str, details: dict[str, Any]) -> None:
    await conn.execute(insert(Audit).values(actor=actor, action=action, details=details))


@dataclass(frozen=True)
class RunPlan:
    """What one run sends on one channel."""

    run_id: int
    campaign_id: int
    routing: str
    channels: tuple[str, ...]
    parts: tuple[Outbound, ...]
    media: MediaFile | None


async def load_plan(engine: AsyncEngine, run_id: int, channel: str, caps: Capabilities) -> RunPlan:
    async with AsyncSession(engine) as session:
        run, campaign = (
            await session.execute(
                select(CampaignRun, Campaign)
                .join(Campaign, Campaign.id == CampaignRun.campaign_id)
                .where(CampaignRun.id == run_id)
            )
        ).one()
        media = await _media(session, campaign.content.get("media_id"), channel)
    content = Content(
        text=str(campaign.content.get("text") or ""),
        media=media,
        buttons=buttons_from_json(campaign.content.get("buttons")),
    )
    return RunPlan(
        run_id,
        campaign.id,
        campaign.routing,
        tuple(str(c) for c in run.channels),
        tuple(parts(content, run_id, caps)),
        media,
    )


async def _media(session: AsyncSession, media_id: Any, channel: str) -> MediaFile | None:
    if media_id is None:
        return None
    row = (await session.execute(select(Media).where(Media.id == int(media_id)))).scalar_one()
    ref = (
        await session.execute(
            select(MediaRef.ref).where(MediaRef.media_id == row.id, MediaRef.channel == channel)
        )
    ).scalar_one_or_none()
    return MediaFile(row.id, row.sha256, row.filename, row.mime, row.size, ref, row.content)


def with_media_ref(plan: RunPlan, ref: str) -> RunPlan:
    """The plan once the channel has a reusable handle for its file."""
    if plan.media is None:
        return plan
    media = replace(plan.media, ref=ref)
    new_parts = tuple(replace(p, media=media) if p.media else p for p in plan.parts)
    return replace(plan, media=media, parts=new_parts)


async def save_media_ref(engine: AsyncEngine, media_id: int, channel: str, ref: str) -> None:
    async with engine.begin() as conn:
        exists = (
            await conn.execute(
                select(MediaRef.ref).where(
                    MediaRef.media_id == media_id, MediaRef.channel == channel
                )
            )
        ).scalar_one_or_none()
        if exists is None:
            await conn.execute(insert(MediaRef).values(media_id=media_id, channel=channel, ref=ref))


async def media_by_sha(engine: AsyncEngine, sha256: str) -> tuple[str, str, bytes] | None:
    """(filename, mime, content) of a stored file, for our own media server."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(Media.filename, Media.mime, Media.content).where(Media.sha256 == sha256)
            )
        ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def cancel_campaign(engine: AsyncEngine, campaign_id: int, actor: str) -> int:
    """Stop a campaign: its pending deliveries are skipped; returns how many."""
    from core.storage.models import Delivery

    async with engine.begin() as conn:
        found = await conn.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(status="cancelled")
        )
        if found.rowcount == 0:
            raise ContentError(f"Рассылки №{campaign_id} нет.")
        runs = select(CampaignRun.id).where(CampaignRun.campaign_id == campaign_id)
        result = await conn.execute(
            update(Delivery)
            .where(Delivery.run_id.in_(runs), Delivery.status == "pending")
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
