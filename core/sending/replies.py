"""Replies to one member (dialogue answers): queued with the state change that caused them,
sent by the channel's sender through the same pacer as broadcasts, ahead of campaigns."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.campaigns.content import visible_length
from core.ports import (
    Button,
    Channel,
    DeliveryResult,
    MediaFile,
    MessageEdit,
    MessageEditor,
    Outbound,
    Span,
    Status,
)
from core.privacy.erase import release
from core.sending.reply_files import keep_ref, media_json, media_of, reply_files
from core.storage.engine import writing
from core.storage.models import Reply

log = logging.getLogger("rupor.replies")

REPLY_ATTEMPTS = 5


def spans_to_json(spans: Sequence[Span]) -> list[list[Any]]:
    return [[s.text, s.bold, s.italic, s.url] for s in spans]


def spans_from_json(data: Sequence[Sequence[Any]]) -> tuple[Span, ...]:
    return tuple(Span(str(t), bool(b), bool(i), u) for t, b, i, u in data)


def buttons_to_json(rows: Sequence[Sequence[Button]]) -> list[list[dict[str, Any]]]:
    return [[{"text": b.text, "url": b.url, "payload": b.payload} for b in row] for row in rows]


def buttons_from_json(rows: Sequence[Sequence[dict[str, Any]]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        tuple(Button(str(b["text"]), b.get("url"), b.get("payload")) for b in row) for row in rows
    )


@dataclass(frozen=True)
class ReplyEdit:
    """The message whose button the member pressed, changed before the reply goes out (a
    consent question shows the answer, its buttons gone). Where the channel cannot edit
    (Viber), the message id is unknown or the edit fails, `note` opens the reply instead."""

    message_id: str | None
    text: tuple[Span, ...]
    note: tuple[Span, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()  # the edited message's buttons (none: gone)
    only: bool = False  # once edited, the reply itself is not sent (a vote's current choice)
    stops_poll: bool = False  # the message is a native poll to stop (MessageEdit.stops_poll)


def reply_content(
    spans: Sequence[Span], buttons: Sequence[Sequence[Button]] = (), edit: ReplyEdit | None = None,
    media: MediaFile | None = None,
) -> dict[str, Any]:
    """A reply as stored in replies.content (what claim_replies reads back); `media`: a file
    sent with the text as its caption (core.sending.reply_files)."""
    content: dict[str, Any] = {"spans": spans_to_json(spans), "buttons": buttons_to_json(buttons)}
    if media is not None:
        content["media"] = media_json(media)
    if edit is not None:
        content["edit"] = {
            "message_id": edit.message_id,
            "spans": spans_to_json(edit.text),
            "note": spans_to_json(edit.note),
            "buttons": buttons_to_json(edit.buttons),
            "only": edit.only,
            "stops_poll": edit.stops_poll,
        }
    return content


async def queue_reply(
    conn: AsyncConnection,
    channel: str,
    contact_id: int,
    spans: Sequence[Span],
    buttons: Sequence[Sequence[Button]] = (),
    inbound_id: int | None = None,
    edit: ReplyEdit | None = None,
    media: MediaFile | None = None,
    thread: str | None = None,
) -> None:
    """Queue a message to one contact inside the caller's transaction (`media`: a stored
    file sent with it, core.sending.reply_files; `thread`: the forum topic of a group chat
    it goes to, Outbound.thread)."""
    content = reply_content(spans, buttons, edit, media)
    if thread is not None:
        content["thread"] = thread
    await conn.execute(
        insert(Reply).values(
            channel=channel,
            contact_id=contact_id,
            inbound_id=inbound_id,
            content=content,
            status="pending",
            next_attempt_at=0.0,
        )
    )


PARTS = "parts"  # in replies.content: the parts of a long reply sent so far (PartsSent)


@dataclass(frozen=True)
class PartsSent:
    """How far a reply split into several messages (core.sending.split) got: `ids` of the
    parts sent, in order; `noted`: they are the reply opened by its edit's note (the edit
    had failed). Kept in the reply's content after each part, so a crash or a failed part
    resends neither the parts already sent nor the edit."""

    ids: tuple[str | None, ...]
    noted: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "noted": self.noted}

    @classmethod
    def of(cls, content: dict[str, Any]) -> PartsSent | None:
        found = content.get(PARTS)
        if not isinstance(found, dict) or not found.get("ids"):
            return None
        return cls(tuple(None if i is None else str(i) for i in found["ids"]),
                   bool(found.get("noted")))


@dataclass(frozen=True)
class ClaimedReply:
    reply_id: int
    contact_id: int
    recipient: str
    attempts: int
    message: Outbound
    is_group: bool = False
    edit: MessageEdit | None = None  # made first, when the channel edits messages
    unedited: Outbound | None = None  # sent instead of `message` if the edit failed
    edit_only: bool = False  # with an edit: nothing is sent once the edit is made
    last: bool = False  # the goodbye to an erased member: their messenger id goes once sent
    sent: PartsSent | None = None  # a long reply's parts sent before (resumed after them)


_CLAIM = (
    "UPDATE replies SET status = 'claimed', attempts = attempts + 1 WHERE id IN ("
    "SELECT id FROM replies WHERE channel = :channel AND status = 'pending' "
    "AND next_attempt_at <= :now ORDER BY next_attempt_at, id LIMIT :limit) "
    "RETURNING id, contact_id, attempts, content"
)


_DUE = (
    "SELECT 1 FROM replies WHERE channel = :channel AND status = 'pending' "
    "AND next_attempt_at <= :now LIMIT 1"
)


async def replies_due(engine: AsyncEngine, channel: str) -> bool:
    """Whether any reply of the channel is due: a cheap read (pass a read-only engine) that
    spares the write lock on every turn of a busy sender's loop."""
    async with engine.connect() as conn:
        found = await conn.execute(text(_DUE), {"channel": channel, "now": time.time()})
        return found.first() is not None


async def claim_replies(
    engine: AsyncEngine, channel: str, limit: int, *, edits: bool = False
) -> list[ClaimedReply]:
    """Claim due replies; `edits`: the channel can change sent messages (Capabilities)."""
    async with writing(engine, urgent=True) as conn:  # a person waits: ahead of broadcasts
        rows = (
            await conn.execute(
                text(_CLAIM), {"channel": channel, "now": time.time(), "limit": limit}
            )
        ).all()
        if not rows:
            return []
        ids = ",".join(str(int(r.contact_id)) for r in rows)
        found = await conn.execute(
            text(f"SELECT id, external_id, kind FROM contacts WHERE id IN ({ids})")
        )
        contacts = {int(row[0]): (str(row[1]), row[2] == "group") for row in found.all()}
    claimed = []
    contents = {row.id: row.content if isinstance(row.content, dict) else _loads(row.content)
                for row in rows}
    files = await reply_files(engine, channel, contents.values())
    for row in sorted(rows, key=lambda r: r.id):
        content = contents[row.id]
        recipient, is_group = contacts[row.contact_id]
        message, edit, unedited = _messages(row.id, content, edits)
        message = replace(message, media=media_of(content, files))
        unedited = unedited and replace(unedited, media=message.media)
        sent = PartsSent.of(content)
        if sent is not None:  # resumed after its first parts: the same text, no edit again
            message = unedited if sent.noted and unedited else message
            edit = unedited = None
        only = edit is not None and bool(content["edit"].get("only"))
        claimed.append(
            ClaimedReply(
                row.id, row.contact_id, recipient, row.attempts, message, is_group, edit, unedited,
                only, bool(content.get("last")), sent,
            )
        )
    return claimed


def _messages(
    reply_id: int, content: dict[str, Any], edits: bool
) -> tuple[Outbound, MessageEdit | None, Outbound | None]:
    """The reply, the edit to make before it, and the reply to send if the edit fails."""
    message = Outbound(
        key=f"reply{reply_id}",
        text=spans_from_json(content["spans"]),
        buttons=buttons_from_json(content.get("buttons") or []),
        thread=content.get("thread"),  # a staff chat's forum topic (core.staff.topics)
    )
    change = content.get("edit")
    if not change:
        return message, None, None
    noted = replace(
        message, text=(*spans_from_json(change["note"]), Span("\n\n"), *message.text)
    )
    if not edits or not change.get("message_id"):
        return noted, None, None
    edit = MessageEdit(
        str(change["message_id"]), spans_from_json(change["spans"]),
        buttons_from_json(change.get("buttons") or []), bool(change.get("stops_poll")),
    )
    return message, edit, noted


async def edit_before(channel: Channel, reply: ClaimedReply) -> DeliveryResult:
    """Make the reply's edit (claimed with one only when the channel's capabilities say it
    edits messages); every failure is a result, the reply then goes with its note. A text
    over the channel's limit is not edited in: the reply goes, split, with its note."""
    assert reply.edit is not None
    caps = channel.capabilities
    if visible_length(reply.edit.text, caps.text_format) > caps.max_text_len:
        return DeliveryResult(reply.recipient, Status.INVALID, error="edit text over the limit")
    editor = cast(MessageEditor, channel)
    try:
        result = await editor.edit(reply.recipient, reply.edit)
    except Exception as exc:
        log.exception("%s: editing message %s failed", channel.name, reply.edit.message_id)
        return DeliveryResult(reply.recipient, Status.FAILED, error=repr(exc))
    if result.status is not Status.SENT:
        log.info("%s: message %s not edited: %s", channel.name, reply.edit.message_id,
                 result.error or result.status)
    return result


def _loads(value: Any) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads(value)
    return loaded


_RECORD = (
    update(Reply)
    .where(Reply.id == bindparam("r_id"))
    .values(
        status=bindparam("r_status"),
        next_attempt_at=bindparam("r_next"),
        platform_message_id=bindparam("r_pmid"),
        error=bindparam("r_error"),
        attempts=bindparam("r_attempts"),
    )
)


async def record_replies(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    if rows:
        async with writing(engine) as conn:
            await conn.execute(_RECORD, rows)


async def record_reply(engine: AsyncEngine, channel: str, claimed: ClaimedReply,
                       message: Outbound, result: DeliveryResult) -> None:
    """One reply's result, and the file handle its send created."""
    await record_replies(engine, [reply_row(claimed, result, time.time())])
    await keep_ref(engine, channel, message, result)
    if claimed.last:
        async with writing(engine) as conn:
            await release(conn, claimed.contact_id)


async def recover_replies(engine: AsyncEngine, channel: str) -> None:
    """Replies a crash left claimed are sent again (a repeated answer is harmless); a long
    one from its part in flight (PartsSent)."""
    async with writing(engine) as conn:
        await conn.execute(
            update(Reply)
            .where(Reply.channel == channel, Reply.status == "claimed")
            .values(status="pending")
        )


def reply_row(claimed: ClaimedReply, result: Any, now: float) -> dict[str, Any]:
    """The reply's next state for the adapter's result (a DeliveryResult)."""
    from core.ports import Status

    row: dict[str, Any] = {
        "r_id": claimed.reply_id,
        "r_status": "sent",
        "r_next": now,
        "r_error": result.error,
        "r_pmid": result.platform_message_id,
        "r_attempts": claimed.attempts,
    }
    status = result.status
    if status is Status.RETRY_AFTER:
        row.update(
            r_status="pending",
            r_next=now + (result.retry_after or 1.0),
            r_attempts=claimed.attempts - 1,
        )
    elif status in (Status.FAILED, Status.UNCERTAIN) and claimed.attempts < REPLY_ATTEMPTS:
        row.update(r_status="pending", r_next=now + 2.0**claimed.attempts)
    elif status is not Status.SENT:
        # The status opens the error, so a staff answer's failure can say why (core.staff).
        row.update(r_status="failed", r_error=f"{status.value}: {result.error or ''}")
    return row
