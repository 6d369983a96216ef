"""The union's public pages a campaign is also posted to — the Telegram channel, the VK
community wall: once per run (a monthly post each month once), never per member.

The pages a campaign asks for are campaigns.content["also"]; the outcome of each run's
page lives in campaigns.content["public"][<run id>][page] as {"state": "publishing" |
"published" | "failed", "at", "claimed", "post", "error"}. The intent ("publishing") is
claimed in one write transaction that reads the record first, so of two processes only
one publishes; it is committed before the platform is called, so a redo after a crash
between the platform's answer and our record sees it and never posts blindly a second
time. An intent claimed less than LEASE_S ago is someone else's work in progress; an older
one is a crash: a page that can repeat a post safely (VK wall.post's guid drops a repeat
within the hour) is called again with the same guid; one that cannot (the Bot API has no
de-duplication and no way to read a channel's history) is recorded failed as unknown, for
a person to check, rather than risk a double post."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.campaigns.content import Content
from core.storage.engine import writing
from core.storage.models import Campaign

REPEAT_SAFE_S = 3000  # under wall.post's one hour of guid memory, with a margin
# A claim younger than this is another call's work in progress: the channel's 429s are
# waited out 3 × 60 s at most (bots.chat.public), a wall upload takes seconds.
LEASE_S = 300
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
    here: bool = True  # decided by this call (False: recorded before, told already)


Publish = Callable[[], Awaitable[str]]


def guid(campaign_id: int, run_id: int, page: str) -> str:
    """The same for every redo of one run's post on one page."""
    return f"rupor-c{campaign_id}-r{run_id}-{page}"


async def publish_once(engine: AsyncEngine, campaign_id: int, run_id: int, page: str,
                       publish: Publish, *, repeat_safe: bool) -> Outcome | None:
    """Post the run on `page` unless it was done (or attempted unsafely) before; the
    outcome, recorded in the campaign — None while another call holds the claim."""
    claimed, found = await _claim(engine, campaign_id, run_id, page)
    if not claimed:
        if found is None or found.get("state") == "publishing":
            return None
        return Outcome(found["state"] == "published", found.get("post"), found.get("error"),
                       here=False)
    if found is not None and not _repeatable(found, repeat_safe):
        return await _record(engine, campaign_id, run_id, page, Outcome(False, error=UNKNOWN))
    try:
        post = await publish()
    except PublishFailed as error:
        return await _record(engine, campaign_id, run_id, page,
                             Outcome(False, error=str(error)))
    return await _record(engine, campaign_id, run_id, page, Outcome(True, post))


async def _claim(engine: AsyncEngine, campaign_id: int, run_id: int, page: str
                 ) -> tuple[bool, dict[str, Any] | None]:
    """(claimed by this call, the record found). A crashed intent is claimed again and
    returned, so the caller redoes it safely or records it unknown."""
    now = _now()
    async with writing(engine) as conn:
        found = (await _page_records(conn, campaign_id, run_id, lock=True)).get(page)
        if found is not None and (found.get("state") != "publishing" or _leased(found)):
            return False, found
        value = {"state": "publishing", "at": (found or {}).get("at") or now, "claimed": now}
        await _write(conn, campaign_id, run_id, page, value)
    return True, found


def _leased(found: dict[str, Any]) -> bool:
    claimed = datetime.fromisoformat(str(found.get("claimed") or found.get("at")))
    return datetime.now(UTC) - claimed < timedelta(seconds=LEASE_S)


def _repeatable(found: dict[str, Any], repeat_safe: bool) -> bool:
    at = datetime.fromisoformat(str(found.get("at")))
    return repeat_safe and datetime.now(UTC) - at < timedelta(seconds=REPEAT_SAFE_S)


async def outcomes(engine: AsyncEngine, campaign_id: int, run_id: int
                   ) -> dict[str, dict[str, Any]]:
    """Every page's record of the run (for reports and the publisher's scan)."""
    async with engine.connect() as conn:
        return await _page_records(conn, campaign_id, run_id)


def run_records(content: dict[str, Any] | None, run_id: int) -> dict[str, dict[str, Any]]:
    """The run's page records within a campaign's content."""
    public = (content or {}).get("public")
    found = public.get(str(run_id)) if isinstance(public, dict) else None
    return {page: dict(r) for page, r in found.items()} if isinstance(found, dict) else {}


async def _page_records(conn: AsyncConnection, campaign_id: int, run_id: int,
                        *, lock: bool = False) -> dict[str, dict[str, Any]]:
    query = select(Campaign.content).where(Campaign.id == campaign_id)
    content = (await conn.execute(query.with_for_update() if lock else query)).scalar()
    return run_records(content, run_id)


async def _record(engine: AsyncEngine, campaign_id: int, run_id: int, page: str,
                  outcome: Outcome) -> Outcome:
    state = "published" if outcome.published else "failed"
    async with writing(engine) as conn:
        await _write(conn, campaign_id, run_id, page, {
            "state": state, "at": _now(), "post": outcome.post, "error": outcome.error})
    return outcome


async def _write(conn: AsyncConnection, campaign_id: int, run_id: int, page: str,
                 value: dict[str, Any]) -> None:
    content: dict[str, Any] = (await conn.execute(
        select(Campaign.content).where(Campaign.id == campaign_id))).scalar_one() or {}
    public = dict(content.get("public") or {})
    public[str(run_id)] = {**dict(public.get(str(run_id)) or {}), page: value}
    await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                       .values(content={**content, "public": public}))


async def ask_for_pages(engine: AsyncEngine, campaign_id: int, pages: list[str]) -> None:
    """Record which pages every run of the campaign is also posted to."""
    async with writing(engine) as conn:
        content: dict[str, Any] = (await conn.execute(
            select(Campaign.content).where(Campaign.id == campaign_id))).scalar_one() or {}
        await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(content={**content, "also": list(pages)}))


def _now() -> str:
    return datetime.now(UTC).isoformat()
