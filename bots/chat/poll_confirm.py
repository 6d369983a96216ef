"""The last steps of /poll: the preview — the poll sent to the press secretary exactly as
members get it on that messenger (a native poll on Telegram, buttons on VK and Viber), through
the channel's pacer, with poll id 0 so no press in it ever counts — then the figures per
channel (core.polls.create.preview), and the confirmed poll (core.polls.create_poll).

Creating is idempotent per confirmation: a crash after the poll was created but before the
step committed finds it again (same account, created after the press)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bots.chat import poll_texts as texts
from bots.chat.texts import CHANNEL_NAMES
from bots.chat.turn import Buttons, ChatContext, NotReady, Turn
from core.access.audit import Result
from core.access.rules import Action
from core.audience.segments import SegmentError
from core.polls.create import create_poll
from core.polls.create import preview as count_audience
from core.polls.spec import NewPoll, PollError
from core.ports import Button, OutboundPoll, PollSent, Status
from core.storage.poll_tables import Poll

PREVIEW_POLL_ID = 0  # no poll has id 0: a vote in the preview is never counted


def _row(text: str, payload: str) -> tuple[Button, ...]:
    return (Button(text, payload=f"chat:poll:{payload}"),)


def confirm_buttons(announce: bool) -> Buttons:
    return (
        _row(texts.CREATE, "create"),
        _row(texts.ANNOUNCE_OFF if announce else texts.ANNOUNCE_ON, "announce"),
        _row(texts.EDIT_QUESTION, "edit:question"), _row(texts.EDIT_OPTIONS, "edit:options"),
        _row(texts.EDIT_AUDIENCE, "edit:aud"), _row(texts.EDIT_DEADLINE, "edit:deadline"),
        _row(texts.CANCEL, "cancel"),
    )


async def _send_preview(ctx: ChatContext, turn: Turn, poll: OutboundPoll) -> PollSent:
    """One send_poll to the press secretary's chat, paced with the channel's sender."""
    sender, channel = ctx.sender(turn.channel), ctx.channels.get(turn.channel)
    if channel is None:
        raise NotReady(turn.channel)
    keys: dict[str, Hashable] = {"chat": turn.state.account}
    await asyncio.sleep(max(0.0, sender.pacer.key_ready_at(keys) - time.monotonic()))
    slot = await sender.pacer.acquire(keys)
    try:
        (landed,) = await channel.send_poll([turn.state.account], poll)
    finally:
        slot.finish()
    return landed


async def show(ctx: ChatContext, turn: Turn) -> None:
    """The poll as members get it, then the figures and the choice."""
    draft = turn.state.draft
    poll = OutboundPoll(key=f"preview{turn.inbound_id}", poll_id=PREVIEW_POLL_ID,
                        question=str(draft["question"]), options=tuple(draft["options"]),
                        allows_multiple=bool(draft["multiple"]))
    landed = await _send_preview(ctx, turn, poll)
    if landed.result.status is Status.RETRY_AFTER:
        raise NotReady(turn.channel)  # the platform asked us to wait: the step is redone
    turn.state.step = "poll_confirm"
    head = texts.PREVIEW_HEAD if landed.result.status is Status.SENT else \
        texts.PREVIEW_FAILED.format(reason=landed.result.error or landed.result.status)
    figures = await preview_text(ctx, draft)
    turn.say(head + "\n\n" + figures, confirm_buttons(bool(draft.get("announce"))))


async def preview_text(ctx: ChatContext, draft: dict[str, Any]) -> str:
    count = await count_audience(ctx.reader, str(draft["audience"]), list(ctx.capabilities))
    per_channel = "\n".join(
        texts.PREVIEW_CHANNEL.format(channel=CHANNEL_NAMES.get(name, name),
                                     count=count.reachable.get(name, 0))
        for name in ctx.capabilities)
    return texts.PREVIEW.format(
        question=draft["question"], options="; ".join(draft["options"]),
        kind=texts.KIND_MULTIPLE if draft["multiple"] else texts.KIND_SINGLE,
        privacy=texts.PRIVACY_ANONYMOUS if draft["anonymous"] else texts.PRIVACY_NAMED,
        audience=draft["audience_label"], per_channel=per_channel,
        unreachable=count.unreachable, when=draft["when_said"],
        deadline=draft["deadline_said"], remind=draft.get("remind_said") or texts.NO,
        announce=texts.YES if draft.get("announce") else texts.NO)


async def toggle_announce(ctx: ChatContext, turn: Turn, value: str) -> None:
    """«Сообщить итоги участникам» on or off; the figures shown again."""
    draft = turn.state.draft
    draft["announce"] = not draft.get("announce")
    turn.say(await preview_text(ctx, draft), confirm_buttons(bool(draft["announce"])))


def new_poll(draft: dict[str, Any], actor: str) -> NewPoll:
    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(draft[key]) if draft.get(key) else None

    closes_at = moment("closes_at")
    assert closes_at is not None
    return NewPoll(str(draft["question"]), tuple(draft["options"]), closes_at,
                   multiple=bool(draft["multiple"]), anonymous=bool(draft["anonymous"]),
                   audience=str(draft["audience"]), remind_at=moment("remind_at"),
                   start_at=moment("run_at"), created_by=actor,
                   announce_members=bool(draft.get("announce")))


async def confirm(ctx: ChatContext, turn: Turn, value: str) -> None:
    """«Создать опрос»: created (and, for now, started), audited; the draft closed."""
    draft, actor = turn.state.draft, f"{turn.channel}:{turn.state.account}"
    pressed = turn.received_at if turn.received_at.tzinfo else turn.received_at.replace(tzinfo=UTC)
    try:
        poll_id = await _created_since(ctx, actor, pressed)
        if poll_id is None:
            created = await create_poll(ctx.engine, new_poll(draft, actor),
                                        list(ctx.capabilities), pressed)
            poll_id = created.poll_id
    except (PollError, SegmentError) as error:
        turn.audit(Action.POLL, Result.FAILED, {"error": str(error)})
        turn.say(texts.CREATE_FAILED.format(reason=error),
                 confirm_buttons(bool(draft.get("announce"))))
        return
    turn.audit(Action.POLL, Result.OK, {"poll_id": poll_id, "when": draft["when"],
                                        "announce_members": bool(draft.get("announce"))})
    said = (texts.CREATED_NOW if draft["when"] == "now" else texts.CREATED_LATER).format(
        poll_id=poll_id, when=draft["when_said"], deadline=draft["deadline_said"])
    turn.state.clear()
    turn.say(said)


async def _created_since(ctx: ChatContext, actor: str, pressed: datetime) -> int | None:
    async with ctx.engine.connect() as conn:
        found = await conn.execute(select(Poll.id).where(
            Poll.created_by == actor, Poll.created_at >= pressed))
        value = found.scalar()
    return None if value is None else int(value)
