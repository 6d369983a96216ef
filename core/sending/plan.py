"""What one run sends on one channel: the campaign's content cut into the parts that
channel's limits allow, with the channel's handle for its file once there is one."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.campaigns.content import Content, buttons_from_json, parts
from core.campaigns.media import media_file
from core.ports import Capabilities, MediaFile, Outbound, OutboundPoll
from core.sending.poll_runs import poll_of
from core.storage.models import Campaign, CampaignRun


@dataclass(frozen=True)
class RunPlan:
    """What one run sends on one channel."""

    run_id: int
    campaign_id: int
    routing: str
    channels: tuple[str, ...]
    parts: tuple[Outbound, ...]
    media: MediaFile | None
    poll: OutboundPoll | None = None  # a poll run sends this instead of parts


async def load_plan(engine: AsyncEngine, run_id: int, channel: str, caps: Capabilities) -> RunPlan:
    async with AsyncSession(engine) as session:
        run, campaign = (
            await session.execute(
                select(CampaignRun, Campaign)
                .join(Campaign, Campaign.id == CampaignRun.campaign_id)
                .where(CampaignRun.id == run_id)
            )
        ).one()
        if campaign.kind == "poll":
            return RunPlan(run_id, campaign.id, campaign.routing,
                           tuple(str(c) for c in run.channels), (), None,
                           poll_of(campaign.content, run_id))
        media = await media_file(session, campaign.content.get("media_id"), channel)
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


def with_media_ref(plan: RunPlan, ref: str) -> RunPlan:
    """The plan once the channel has a reusable handle for its file."""
    if plan.media is None:
        return plan
    media = replace(plan.media, ref=ref)
    new_parts = tuple(replace(p, media=media) if p.media else p for p in plan.parts)
    return replace(plan, media=media, parts=new_parts)
