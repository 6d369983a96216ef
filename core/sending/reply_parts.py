"""A reply sent as the messages its channel needs (core.sending.split), in order, with buttons
on the last. Exactly once as a single reply is: each part's landing is kept in the reply's
content before the next part goes (PartsSent), so after kill -9 or a failed part only the
part in flight is sent again — on VK not even that twice, as each part keeps its own key
and so its random_id. A one-part reply writes nothing more than before.

The reply's `platform_message_id` is its first part's (an edit changes that one); every
part's id stays in the content, so a staff member replying to any part of a notice is
understood (core.staff.questions)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports import Channel, DeliveryResult, Outbound, Status
from core.sending.replies import PARTS, ClaimedReply, PartsSent, record_reply
from core.sending.reply_files import keep_ref
from core.sending.split import message_parts
from core.storage.engine import writing
from core.storage.models import Reply

Send = Callable[[Outbound], Awaitable[DeliveryResult]]
# How a database write is made: at once, or waiting out database trouble (the sender's).
Keep = Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]


async def at_once(work: Callable[[], Awaitable[None]]) -> None:
    await work()


async def deliver_reply(engine: AsyncEngine, channel: Channel, reply: ClaimedReply,
                        message: Outbound, send: Send, keep: Keep = at_once) -> DeliveryResult:
    """Send `message` (the reply, or its noted variant after a failed edit) as the parts not
    sent yet and record the reply; the result of the last part tried."""
    parts = message_parts(message, channel.capabilities)
    noted = reply.unedited is not None and message is reply.unedited
    sent = reply.sent or PartsSent((), noted)
    ids = list(sent.ids)
    part, result = parts[-1], DeliveryResult(reply.recipient, Status.SENT)
    for index in range(len(ids), len(parts)):
        part = parts[index]
        result = await send(part)
        if result.status is not Status.SENT:
            break
        ids.append(result.platform_message_id)
        if len(parts) > 1:
            done = PartsSent(tuple(ids), sent.noted)
            await keep(partial(_keep_part, engine, channel.name, reply.reply_id, part, result,
                               done))
    if result.status is Status.SENT and ids:
        result = result._replace(platform_message_id=ids[0])
    await keep(partial(record_reply, engine, channel.name, reply, part, result))
    return result


async def _keep_part(engine: AsyncEngine, channel: str, reply_id: int, part: Outbound,
                     result: DeliveryResult, sent: PartsSent) -> None:
    """One more part landed: kept before the next is sent (a file's handle too)."""
    await keep_ref(engine, channel, part, result)
    async with writing(engine, urgent=True) as conn:  # a person waits for the next part
        found = (await conn.execute(select(Reply.content).where(Reply.id == reply_id))
                 ).scalar()
        if found is None:
            return  # erased meanwhile
        content: dict[str, Any] = dict(json.loads(found) if isinstance(found, str) else found)
        content[PARTS] = sent.to_json()
        await conn.execute(update(Reply).where(Reply.id == reply_id).values(content=content))
