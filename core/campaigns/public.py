"""The union's public pages a campaign is also posted to — the Telegram channel, the VK
community wall: once per campaign, never per member.

The outcome of each page lives in campaigns.content["public"][page] as
{"state": "publishing" | "published" | "failed", "at", "post", "error"}. The intent
("publishing") is committed before the platform is called, so a redo after a crash between
the platform's answer and our record sees it and never posts blindly a second time:
a page that can repeat a post safely (VK wall.post's guid drops a repeat within the hour)
is called again with the same guid; one that cannot (the Bot API has no de-duplication
and no way to read a channel's history) is recorded failed as unknown, for a person to
check, rather than risk a double post."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.campaigns.content import Content
from core.storage.engine import writing
from core.storage.models import Campaign

REPEAT_SAFE_S = 3000  # under wall.post's one hour of guid memory, with a margin
UNKNOWN = "неизвестно, опубликован ли пост: сбой во время публикации — проверьте вручную"


class PublishFailed(Exception):
    """The platform refused the post; the message is its reason, for the press secretary."""


class Wall(Protocol):
    """What a Channel offers when it can post on its community's wall (VK wall.post)."""

    async def post_on_wall(self, content: Content, guid: str) -> str:
        """The post's id; PublishFailed with the platform's reason."""
        ...


@dataclass(frozen=True)
class Outcome:
    published: bool
    post: str | None = None
    error: str | None = None


Publish = Callable[[], Awaitable[str]]


def guid(campaign_id: int, page: str) -> str:
    """The same for every redo of one campaign's post on one page."""
    return f"rupor-c{campaign_id}-{page}"


async def publish_once(engine: AsyncEngine, campaign_id: int, page: str, publish: Publish,
                       *, repeat_safe: bool) -> Outcome:
    """Post on `page` unless it was done (or attempted unsafely) before; the outcome,
    recorded in the campaign."""
    found = await _recorded(engine, campaign_id, page)
    if found is not None and found.get("state") != "publishing":
        return Outcome(found["state"] == "published", found.get("post"), found.get("error"))
    if found is not None and not _repeatable(found, repeat_safe):
        return await _record(engine, campaign_id, page, Outcome(False, error=UNKNOWN))
    if found is None:
        await _write(engine, campaign_id, page, {"state": "publishing", "at": _now()})
    try:
        post = await publish()
    except PublishFailed as error:
        return await _record(engine, campaign_id, page, Outcome(False, error=str(error)))
    return await _record(engine, campaign_id, page, Outcome(True, post))


def _repeatable(found: dict[str, Any], repeat_safe: bool) -> bool:
    at = datetime.fromisoformat(str(found.get("at")))
    return repeat_safe and datetime.now(UTC) - at < timedelta(seconds=REPEAT_SAFE_S)


async def outcomes(engine: AsyncEngine, campaign_id: int) -> dict[str, dict[str, Any]]:
    """Every page's record of the campaign (for reports)."""
    async with engine.connect() as conn:
        content = (await conn.execute(select(Campaign.content)
                                      .where(Campaign.id == campaign_id))).scalar()
    public = (content or {}).get("public")
    return dict(public) if isinstance(public, dict) else {}


async def _recorded(engine: AsyncEngine, campaign_id: int, page: str) -> dict[str, Any] | None:
    found = (await outcomes(engine, campaign_id)).get(page)
    return dict(found) if isinstance(found, dict) else None


async def _record(engine: AsyncEngine, campaign_id: int, page: str, outcome: Outcome
                  ) -> Outcome:
    state = "published" if outcome.published else "failed"
    await _write(engine, campaign_id, page, {"state": state, "at": _now(), "post": outcome.post,
                                             "error": outcome.error})
    return outcome


async def _write(engine: AsyncEngine, campaign_id: int, page: str, value: dict[str, Any]
                 ) -> None:
    async with writing(engine) as conn:
        content: dict[str, Any] = (await conn.execute(
            select(Campaign.content).where(Campaign.id == campaign_id))).scalar_one() or {}
        public = dict(content.get("public") or {})
        public[page] = value
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(content={**content, "public": public}))


def _now() -> str:
    return datetime.now(UTC).isoformat()
