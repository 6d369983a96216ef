"""The two-person rule ([staff] two_person_rule): a confirmed /post is not created; an
approval request with «Одобрить»/«Отклонить» goes to the staff chat, and only another
account allowed to post (admin or press, re-authorised when pressing, audited) creates or
schedules it. The author is told either way. A pending request lives in the `state` table
("staff:approval:<inbound id of the confirmation>") until it is decided."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bots.chat import preview, staff_texts
from bots.chat.drafts import ChatState
from bots.chat.turn import ChatContext, Turn, allowed
from core.access.audit import Result
from core.access.rules import Action
from core.audience.members import contact_for
from core.ports import Button, ButtonPress, Sender, Span
from core.sending.replies import queue_reply
from core.storage.models import Campaign, KeyValue

PREFIX = "staff:approval:"


def is_approval(payload: str) -> bool:
    return payload.startswith(("chat:approve:", "chat:reject:"))


async def confirm(ctx: ChatContext, turn: Turn, value: str) -> None:
    """The /post confirmation: created at once, or sent for approval under the rule."""
    if not ctx.two_person_rule:
        await preview.confirm(ctx, turn, value)
        return
    if ctx.desk is None or not await ctx.desk.chats():
        turn.say(staff_texts.NO_STAFF_CHAT)
        return
    draft, key = dict(turn.state.draft), f"{PREFIX}{turn.inbound_id}"
    request = {"channel": turn.channel, "account": turn.state.account, "draft": draft}
    text = staff_texts.APPROVAL.format(
        author=f"{turn.channel}:{turn.state.account}", audience=draft.get("audience_label", ""),
        when=draft.get("when_said", ""), text=str(draft.get("text") or draft.get("media_name")))
    buttons = ((Button(staff_texts.APPROVE, payload=f"chat:approve:{turn.inbound_id}"),
                Button(staff_texts.REJECT, payload=f"chat:reject:{turn.inbound_id}")),)
    desk = ctx.desk

    async def write(conn: AsyncConnection) -> None:
        await conn.execute(insert(KeyValue).values(key=key, value=json.dumps(request)))
        await desk.post(conn, text, buttons)

    turn.writes.append(write)
    turn.audit(Action.POST, Result.OK, {"approval": turn.inbound_id})
    turn.state.clear()
    turn.say(staff_texts.SENT_FOR_APPROVAL)


async def press(ctx: ChatContext, turn: Turn) -> None:
    """«Одобрить» or «Отклонить» in the staff chat."""
    assert isinstance(turn.event, ButtonPress)
    verb, _, number = turn.event.payload.removeprefix("chat:").partition(":")
    key = PREFIX + number
    async with ctx.reader.connect() as conn:
        value = (await conn.execute(select(KeyValue.value).where(KeyValue.key == key))).scalar()
    if value is None:
        turn.say(staff_texts.APPROVAL_GONE)
        return
    request: dict[str, Any] = json.loads(value)
    if (request["channel"], request["account"]) == (turn.channel, turn.sender_id):
        turn.say(staff_texts.OWN_POST)
        turn.audits.append(("chat.approve", Result.REFUSED, {"approval": number, "own": True}))
        return
    if not await allowed(ctx, turn, Action.POST):
        return
    if verb == "approve":
        await _approve(ctx, turn, key, request)
    else:
        _decided(turn, key, request, None, staff_texts.REJECTED_STAFF.format(who=_who(turn)),
                 staff_texts.REJECTED_AUTHOR.format(who=_who(turn)))
        turn.audits.append(("chat.reject", Result.OK, {"approval": number}))


async def _approve(ctx: ChatContext, turn: Turn, key: str, request: dict[str, Any]) -> None:
    state = ChatState(request["channel"], request["account"], "confirm", request["draft"])
    author = Turn(state, turn.event, turn.inbound_id, turn.received_at)
    await preview.confirm(ctx, author, "")
    result = " ".join(span.text for say in author.replies for span in say.spans)
    created = next((d.get("campaign_id") for _, r, d in author.audits if r is Result.OK), None)
    turn.audits.extend(author.audits)
    turn.audits.append(("chat.approve", Result.OK, {"campaign_id": created}))
    _decided(turn, key, request, created,
             staff_texts.APPROVED_STAFF.format(who=_who(turn), result=result),
             staff_texts.APPROVED_AUTHOR.format(result=result))


def _who(turn: Turn) -> str:
    return f"{turn.channel}:{turn.sender_id}"


def _decided(turn: Turn, key: str, request: dict[str, Any], campaign_id: int | None,
             to_staff: str, to_author: str) -> None:
    approver = _who(turn)

    async def write(conn: AsyncConnection) -> None:
        await conn.execute(delete(KeyValue).where(KeyValue.key == key))
        if campaign_id is not None:
            await conn.execute(update(Campaign).where(Campaign.id == campaign_id)
                               .values(approved_by=approver))
        author = await contact_for(conn, Sender(request["channel"], request["account"]))
        await queue_reply(conn, request["channel"], author.id, (Span(to_author),))

    turn.writes.append(write)
    turn.say(to_staff)
