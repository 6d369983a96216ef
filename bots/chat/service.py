"""The chat service: handles the events the router queued, after the inbox's commit, in a
task with its own connections — so downloading a file or sending a preview never runs
inside the inbox's write transaction (which holds SQLite's write lock).

Per account, queued events are handled in order, in a lane of its own (lanes.py):
different accounts are served concurrently, a bounded number at a time. A step's network
work (fetching a file, sending the preview, creating and starting a campaign) runs first;
then one write transaction pops the event from the queue — only if it is still first — and
stores the new chat state, the replies and the audit entries together. A crash before that
commit leaves the event queued: it is handled again at start (the preview may then reach
the press secretary twice; a campaign is found again, never created twice). A crash after it
leaves nothing to redo."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select

from bots.chat import (
    commands,
    drafts,
    monthly_report,
    poll,
    poll_results,
    post,
    public_runs,
    question_files,
    resend,
    roles,
    staff_chat,
    texts,
)
from bots.chat.lanes import Lanes
from bots.chat.router import COMMANDS, StaffAccounts
from bots.chat.turn import ChatContext, NotReady, Turn
from core.access.audit import record
from core.access.grants import list_grants
from core.audience.members import contact_for
from core.inbound.store import event_from_json
from core.ports import ButtonPress, Command, Sender, Text
from core.sending.replies import queue_reply
from core.storage.engine import writing
from core.storage.models import Inbound
from core.storage.trouble import cause_of

log = logging.getLogger("rupor.chat")

ROUND_S = 1.0  # queued events left by a crash, or by a channel not running yet, are retried
STAFF_REFRESH_S = 3.0  # grants made by the command line reach the router within this time


class ChatService:
    def __init__(self, ctx: ChatContext, staff: StaffAccounts,
                 on_replies: Callable[[], None] | None = None) -> None:
        self.ctx, self.staff, self.on_replies = ctx, staff, on_replies
        self._wake = asyncio.Event()
        self._refreshed = 0.0
        self.lanes = Lanes(self._serve)  # accounts concurrently, each one's events in order

    def wake(self) -> None:
        """Something was queued (called after the inbox's commit)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        self.ctx.figures.warm(self.ctx.reader, tuple(self.ctx.capabilities))
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.round()
            except Exception as exc:  # the next round tries again; the events stay queued
                if cause_of(exc) is None:  # passing trouble is told once (core.storage.trouble)
                    log.exception("chat: handling queued events failed")
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=ROUND_S, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        await self.lanes.wait()

    async def round(self) -> None:
        """Start a lane for every account with queued events; refresh the route cache."""
        states = await drafts.every_state(self.ctx.reader)
        for state in states:  # first: the rest of the round is nobody's answer
            if state.queue:
                self.lanes.start((state.channel, state.account))
        if time.monotonic() - self._refreshed > STAFF_REFRESH_S:
            await self.refresh_staff(states)
        if self.ctx.desk is not None:
            await self.ctx.desk.round()
            await question_files.carry(self.ctx)  # members' photos after their notices
        await public_runs.publish_started(self.ctx, self.on_replies)  # scheduled runs' pages

    async def refresh_staff(self, states: list[drafts.ChatState] | None = None) -> None:
        states = states if states is not None else await drafts.every_state(self.ctx.reader)
        accounts = {(g.channel, g.external_id) for g in await list_grants(self.ctx.reader)}
        accounts |= {(s.channel, s.account) for s in states if s.step}
        if self.ctx.desk is not None:  # a bound staff chat: its replies may be answers
            accounts |= set((await self.ctx.desk.chats()).items())
        self.staff.replace(accounts)
        self._refreshed = time.monotonic()

    async def _serve(self, channel: str, account: str) -> None:
        while True:
            async with self.ctx.reader.connect() as conn:
                state = await drafts.load(conn, channel, account)
                if not state.queue:
                    return
                row = (await conn.execute(select(Inbound.event, Inbound.received_at)
                                          .where(Inbound.id == state.queue[0]))).one()
            turn = Turn(state, event_from_json(dict(row.event)), state.queue[0],
                        row.received_at or datetime.now(UTC))
            try:
                await handle(self.ctx, turn)
            except NotReady:
                return  # the channel is not running yet: the event waits, in order
            except Exception:
                log.exception("chat: handling inbound %s failed", turn.inbound_id)
                turn.replies.clear()
                turn.say(texts.FAILED)
            await self._commit(turn)

    async def _commit(self, turn: Turn) -> None:
        channel, account = turn.channel, turn.state.account
        async with writing(self.ctx.engine, urgent=True) as conn:  # ahead of broadcast batches
            current = await drafts.load(conn, channel, account)
            if not current.queue or current.queue[0] != turn.inbound_id:
                return  # handled by another process meanwhile
            turn.state.queue = current.queue[1:]
            await drafts.save(conn, turn.state)
            for reply in turn.replies:
                contact = await contact_for(conn, Sender(channel, reply.to or account))
                await queue_reply(conn, channel, contact.id, reply.spans, reply.buttons,
                                  turn.inbound_id, thread=reply.thread)
            for action, result, details in turn.audits:
                await record(conn, turn.sender_id, action, details or None, channel=channel,
                             result=result)
            for write in turn.writes:
                await write(conn)
            if turn.to_dialogs:
                await self.ctx.dialogs.handle(conn, turn.event, turn.inbound_id)
        if turn.state.step or turn.event.sender.is_group:  # a group: just bound, perhaps
            self.staff.add((channel, account))
        if self.on_replies is not None:
            self.on_replies()


async def handle(ctx: ChatContext, turn: Turn) -> None:
    """One queued event: the command, the dialogue step, or a member's message."""
    event, state = turn.event, turn.state
    if (await staff_chat.handle(ctx, turn) or await monthly_report.handled(ctx, turn)
            or await roles.handled(ctx, turn)):
        return
    if isinstance(event, Command) and (event.sender.is_group or event.sender_chat):
        if event.sender_chat is None:
            turn.say(texts.ONLY_PRIVATE)
            return
        await post.start(ctx, turn)  # refused as anonymous, whatever the command
        return
    if state.expired() and not isinstance(event, ButtonPress):
        state.clear()
        turn.say(texts.DRAFT_EXPIRED)
        if not isinstance(event, Command):
            return
    if isinstance(event, Command):
        await _command(ctx, turn, event)
    elif isinstance(event, ButtonPress):
        if state.expired():
            state.clear()
            turn.say(texts.DRAFT_EXPIRED)
            return
        await (poll.button if poll.is_poll_button(event.payload) else post.button)(ctx, turn)
    elif isinstance(event, Text) and state.step:
        await (poll.text if state.step.startswith("poll_") else post.text)(ctx, turn)
    else:
        turn.to_dialogs = True  # no draft: a staff member writing as a member


async def _command(ctx: ChatContext, turn: Turn, event: Command) -> None:
    name = COMMANDS.get(event.name) or ""
    if name == "cancel" and not event.args.strip() and turn.state.step:
        await post.cancel_draft(ctx, turn)
    elif name in commands.CHANGES:
        await commands.change(ctx, turn, name)
    elif name in SIMPLE:
        await SIMPLE[name](ctx, turn)
    else:
        commands.unknown(turn, event.name)


SIMPLE: dict[str, Callable[[ChatContext, Turn], Awaitable[None]]] = {
    "post": post.start, "resend": resend.resend, "plan": commands.plan,
    "report": commands.report, "audience": commands.audience, "help": commands.help_,
    "poll": poll.start, "results": poll_results.results,
}
