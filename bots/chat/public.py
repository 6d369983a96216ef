"""The union's public pages in /post: the Telegram channel (`[telegram] channel_id`) and
the VK community wall (`[vk] admin_user_token`), offered as toggles in the audience step
only when configured, named in the preview, and posted once on confirm — the channel
through the Telegram sender's pacer like any message, the wall by the VK adapter's
wall.post — with the outcome recorded per run in the campaign (core.campaigns.public) and
told to the press secretary. A «Сейчас» post is published on confirm; every run of a
scheduled or monthly one when it starts (bots.chat.public_runs)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bots.chat import texts
from bots.chat.turn import ChatContext
from core.campaigns.content import Content, parts
from core.campaigns.public import Outcome, PublishFailed, Wall, guid, publish_once
from core.ports import Button, Status

TELEGRAM, VK = "telegram", "vk"
RETRIES = 3  # a 429 from the channel is waited out this many times, then reported
MAX_WAIT_S = 60.0


def public_chat(ctx: ChatContext) -> str | None:
    return getattr(ctx.channels.get(TELEGRAM), "public_chat", None)


def wall(ctx: ChatContext) -> Wall | None:
    found: Wall | None = getattr(ctx.channels.get(VK), "wall", None)
    return found


def available(ctx: ChatContext) -> list[str]:
    """The pages configured here, in the order they are offered."""
    return [page for page, ready in (("channel", public_chat(ctx)), ("wall", wall(ctx)))
            if ready]


def chosen(ctx: ChatContext, draft: dict[str, Any]) -> list[str]:
    return [page for page in available(ctx) if page in draft.get("also", [])]


def toggle_rows(ctx: ChatContext, draft: dict[str, Any]) -> list[tuple[Button, ...]]:
    on = chosen(ctx, draft)
    return [(Button((texts.PAGE_ON if page in on else texts.PAGE_OFF).format(
                label=texts.PAGE_BUTTONS[page]), payload=f"chat:also:{page}"),)
            for page in available(ctx)]


def toggle(ctx: ChatContext, draft: dict[str, Any], page: str) -> None:
    also = [p for p in draft.get("also", []) if p != page]
    if page in available(ctx) and page not in draft.get("also", []):
        also.append(page)
    draft["also"] = also


def chosen_note(ctx: ChatContext, draft: dict[str, Any]) -> str:
    pages = chosen(ctx, draft)
    if not pages:
        return ""
    return "\n" + texts.PAGES_CHOSEN.format(pages=", ".join(texts.PAGE_SHORT[p] for p in pages))


def preview_line(ctx: ChatContext, draft: dict[str, Any]) -> str:
    """ "Также: пост в канале @x, на стене сообщества." ("" when none is chosen)."""
    pages = chosen(ctx, draft)
    if not pages:
        return ""
    named = ", ".join(texts.PAGE_PREVIEW[p].format(chat=public_chat(ctx)) for p in pages)
    return "\n" + texts.ALSO.format(pages=named)


Done = dict[str, Outcome | None]  # page → outcome (None: another call is publishing it)


async def publish(ctx: ChatContext, campaign_id: int, run_id: int, pages: list[str],
                  content_of: Callable[[str], Awaitable[Content]]) -> Done:
    """Post the run on every page asked for and configured, once; `content_of(channel)` is
    the post's Content on that channel."""
    done: Done = {}
    for page in [p for p in available(ctx) if p in pages]:
        content = await content_of(TELEGRAM if page == "channel" else VK)
        post, repeat_safe = _poster(ctx, campaign_id, run_id, page, content)
        done[page] = await publish_once(ctx.engine, campaign_id, run_id, page, post,
                                        repeat_safe=repeat_safe)
    return done


def _poster(ctx: ChatContext, campaign_id: int, run_id: int, page: str, content: Content
            ) -> tuple[Callable[[], Awaitable[str]], bool]:
    """The call that posts on `page`, and whether repeating it is safe (VK's guid)."""
    if page == "channel":
        return (lambda: _to_channel(ctx, f"c{campaign_id}r{run_id}", content)), False
    poster = wall(ctx)
    assert poster is not None
    return (lambda: poster.post_on_wall(content, guid(campaign_id, run_id, page))), True


def told(done: Done) -> str:
    lines = [texts.PAGE_PENDING[page] if outcome is None
             else texts.PAGE_DONE[page] if outcome.published
             else texts.PAGE_FAILED[page].format(reason=outcome.error)
             for page, outcome in done.items()]
    return "\n" + "\n".join(lines) if lines else ""


async def _to_channel(ctx: ChatContext, key: str, content: Content) -> str:
    """Every part of the post to the channel through the Telegram sender; the first id."""
    chat = public_chat(ctx)
    assert chat is not None
    posted: list[str] = []
    for number, part in enumerate(parts(content, 0, ctx.capabilities[TELEGRAM])):
        posted.append(await _send(ctx, chat, replace(part, key=f"{key}chan{number}")))
    return posted[0]


async def _send(ctx: ChatContext, chat: str, part: Any) -> str:
    sender = ctx.sender(TELEGRAM)
    for _ in range(RETRIES):
        result = await sender.send_one(chat, part)
        if result.status is Status.SENT:
            return str(result.platform_message_id)
        if result.status is not Status.RETRY_AFTER:
            raise PublishFailed(result.error or str(result.status))
        await asyncio.sleep(min(result.retry_after or 1.0, MAX_WAIT_S))
    raise PublishFailed("Telegram просит подождать, попробуйте позже")


def pages_of(done: Done) -> dict[str, str]:
    """For the audit entry: page → published | failed | pending."""
    return {page: "pending" if o is None else "published" if o.published else "failed"
            for page, o in done.items()}

