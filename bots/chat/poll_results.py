"""/results ID (alias /итоги): a poll's live (or final) tallies as one message, then the PNG
bar chart as a photo through the channel's paced sender (bots.poll_view)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bots.chat import poll_texts as texts
from bots.chat.commands import record_id
from bots.chat.turn import ChatContext, Turn, allowed
from bots.poll_view import results_text, write_poll_chart
from core.access.rules import Action
from core.polls.results import poll_results
from core.polls.spec import PollError
from core.ports import Command, MediaFile, Outbound, Span


def poll_id_of(turn: Turn) -> int | None:
    assert isinstance(turn.event, Command)
    value = turn.event.args.strip().lstrip("№#")
    found = record_id(value)
    if found is None:
        turn.say(texts.BAD_ID.format(value=value) if value else texts.NEEDS_ID)
    return found


async def results(ctx: ChatContext, turn: Turn) -> None:
    if not await allowed(ctx, turn, Action.REPORT):
        return
    poll_id = poll_id_of(turn)
    if poll_id is None:
        return
    try:
        found = await poll_results(ctx.reader, poll_id)
    except PollError as error:
        turn.say(str(error))
        return
    turn.say(results_text(found, ctx.tz))  # whole: a long one goes in several messages
    with tempfile.TemporaryDirectory(prefix="rupor-poll-") as folder:
        chart = write_poll_chart(found, Path(folder) / f"poll-{poll_id}.png").read_bytes()
    picture = MediaFile(0, f"poll-chart-{poll_id}-{turn.inbound_id}", f"poll-{poll_id}.png",
                        "image/png", len(chart), content=chart)
    caption = (Span(texts.CHART_CAPTION.format(poll_id=poll_id)),)
    message = Outbound(key=f"pollchart{turn.inbound_id}", text=caption, media=picture)
    await ctx.sender(turn.channel).send_one(turn.state.account, message)
