"""/отчёт (alias /report_month): a staff member's monthly report in the bot's private chat,
modelled on /post — each message (text, a file, a photo) appended to the draft, /готово
shows a summary with «Сохранить» / «Отменить», and the saved report goes to core.digest.
Every step re-authorised (Action.DIGEST). `/отчёт 12`, with a number, stays the reach
report. The digest's approval buttons in the staff chat are handled here too."""

from __future__ import annotations

import time
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from bots.chat import commands, digest_approval, texts
from bots.chat.answer_files import FilePart, file_parts
from bots.chat.turn import ChatContext, NotReady, Turn, allowed
from bots.digest import texts as dt
from bots.digest.approval import PREFIX
from core.access.audit import Result
from core.access.rules import Action
from core.digest.month import Month
from core.digest.reports import Attachment, add_report, mark_once, store_file
from core.ports import Button, ButtonPress, Command, FileFetcher, FileUnavailable, Text
from core.storage.engine import writing

STEPS = ("month_report", "month_confirm")
NAMES = ("report_month", "отчёт", "отчет")
DONE = ("готово", "done")
ROW = ((Button(dt.SAVE, payload="chat:mrep:save"), Button(dt.CANCEL, payload="chat:mrep:no")),)


def takes(turn: Turn) -> bool:
    """Whether this event belongs to /отчёт or the digest's approval (a command written in
    a group, or a step of an expired draft, is left to the service's own answers)."""
    event, step = turn.event, turn.state.step
    if isinstance(event, ButtonPress):
        return event.payload.startswith((PREFIX, "chat:mrep:"))
    if turn.state.expired():
        return False
    if isinstance(event, Command):
        private = not (event.sender.is_group or event.sender_chat)
        return private and (event.name in NAMES or (event.name in DONE and step in STEPS))
    return isinstance(event, Text) and step in STEPS


async def handled(ctx: ChatContext, turn: Turn) -> bool:
    """Handle the event if it is ours (see `takes`)."""
    if not takes(turn):
        return False
    await handle(ctx, turn)
    return True


async def handle(ctx: ChatContext, turn: Turn) -> None:
    event = turn.event
    if isinstance(event, ButtonPress):
        if event.payload.startswith(PREFIX):
            await digest_approval.pressed(ctx, turn, event.payload)
        else:
            await _button(ctx, turn, event.payload.removeprefix("chat:mrep:"))
    elif isinstance(event, Command) and event.name in NAMES:
        if event.args.strip().lstrip("№#").isdigit():
            await commands.report(ctx, turn)
        else:
            await _start(ctx, turn)
    elif await allowed(ctx, turn, Action.DIGEST, continues=True):
        turn.state.touched = time.time()
        if isinstance(event, Command):
            _summary(turn)
        else:
            await _append(ctx, turn, cast(Text, event))


def _month(tz: ZoneInfo) -> Month:
    return Month.of(datetime.now(tz))


async def _start(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.DIGEST):
        return
    month = _month(ctx.tz)
    turn.state.step, turn.state.touched = "month_report", time.time()
    turn.state.draft = {"month": month.key, "parts": [], "files": []}
    turn.say(dt.ASK_REPORT.format(month=month.name))


async def _append(ctx: ChatContext, turn: Turn, event: Text) -> None:
    draft = turn.state.draft
    if turn.state.step != "month_report":
        turn.say(dt.IN_REPORT)
        return
    words = (event.caption if event.attachment else event.text) or ""
    if words.strip():
        draft["parts"].append(words.strip())
    for part in file_parts(event):  # every file: a VK message may carry several
        try:
            stored = await _fetch(ctx, turn.channel, part)
        except FileUnavailable as error:
            turn.say(dt.FILE_TROUBLE.format(reason=error))
            return
        draft["files"].append([stored.media_id, stored.filename, stored.mime])
    turn.say(dt.ADDED.format(parts=len(draft["parts"]) + len(draft["files"])))


async def _fetch(ctx: ChatContext, channel: str, part: FilePart) -> Attachment:
    source = ctx.channels.get(channel)
    if source is None:
        raise NotReady(channel)
    if not hasattr(source, "fetch_file"):
        raise FileUnavailable(dt.FILE_NOT_HERE)
    # VK names its file by the URL the event carried (bots.vk.files), as /post's leaflet.
    content = await cast(FileFetcher, source).fetch_file(part.ref, part.url)
    from core.campaigns.media import sniff

    mime = sniff(content) or "application/octet-stream"
    name = part.name or ("фото.jpg" if mime == "image/jpeg" else "файл")
    return await store_file(ctx.engine, name, mime, content)


def _summary(turn: Turn) -> None:
    draft = turn.state.draft
    if not (draft["parts"] or draft["files"]):
        turn.say(dt.NOTHING_YET)
        return
    names = ", ".join(str(f[1]) for f in draft["files"])
    turn.state.step = "month_confirm"
    turn.say(dt.SUMMARY.format(month=Month.parse(draft["month"]).name,
                               text="\n\n".join(draft["parts"]) or "—",
                               files=len(draft["files"]), names=f" ({names})" if names else ""),
             ROW)


async def _button(ctx: ChatContext, turn: Turn, verb: str) -> None:
    if turn.state.step not in STEPS:
        turn.say(texts.STALE_BUTTON, to=turn.sender_id)
        return
    if not await allowed(ctx, turn, Action.DIGEST, continues=True):
        return
    draft, month = turn.state.draft, Month.parse(turn.state.draft["month"])
    if verb == "save":
        files = [Attachment(int(i), str(n), str(m)) for i, n, m in draft["files"]]
        async with writing(ctx.engine) as conn:
            if await mark_once(conn, f"digest:saved:{turn.inbound_id}"):
                await add_report(conn, turn.channel, turn.state.account, month,
                                 "\n\n".join(draft["parts"]), files)
        turn.audit(Action.DIGEST, Result.OK, {"month": month.key})
        turn.say(dt.SAVED.format(month=month.name))
    else:
        turn.say(dt.CANCELLED)
    turn.state.clear()
