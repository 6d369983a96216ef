"""One queued event as the chat layer handles it: what the step handlers read (the event,
the account's chat state, the service's connections) and what they produce (the new
state, replies, audit entries), which the service commits together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bots.chat.drafts import ChatState
from bots.chat.figures import Figures
from core.access.audit import Result
from core.access.gate import check
from core.access.rules import EVERYONE, Action, ChatRequest
from core.inbound.dialogs import Dialogs
from core.ports import Button, ButtonPress, Capabilities, Channel, Command, InboundEvent, Span, Text
from core.sending.dispatch import ChannelSender
from core.staff.desk import StaffDesk

Buttons = tuple[tuple[Button, ...], ...]


class NotReady(Exception):
    """The step needs a channel that is not running yet: the event waits in its queue."""


@dataclass
class ChatContext:
    """What the step handlers use: connections, the configured channels, the time zone."""

    engine: AsyncEngine
    reader: AsyncEngine  # read-only: counts and reports never take SQLite's write lock
    capabilities: Mapping[str, Capabilities]
    tz: ZoneInfo
    dialogs: Dialogs
    channels: Mapping[str, Channel] = field(default_factory=dict)
    senders: Mapping[str, ChannelSender] = field(default_factory=dict)
    desk: StaffDesk | None = None  # the staff chat's notices (None: no staff chat at all)
    two_person_rule: bool = False  # a second admin approves each /post in the staff chat
    bridge: bool = False  # the Telegram and VK staff chats relayed to each other
    figures: Figures = field(default_factory=Figures)  # /audience, /plan: cached counts

    def sender(self, channel: str) -> ChannelSender:
        found = self.senders.get(channel)
        if found is None:
            raise NotReady(channel)
        return found


@dataclass(frozen=True)
class Say:
    spans: tuple[Span, ...]
    buttons: Buttons = ()
    to: str | None = None  # another account than the chat's own (who pressed a button)
    thread: str | None = None  # the forum topic of the group chat it goes to (Outbound.thread)


@dataclass
class Turn:
    state: ChatState
    event: InboundEvent
    inbound_id: int
    received_at: datetime
    replies: list[Say] = field(default_factory=list)
    audits: list[tuple[str, Result, dict[str, Any]]] = field(default_factory=list)
    to_dialogs: bool = False  # a staff member's plain message outside a draft: a member's
    # Writes of the staff chat (an answer queued to a member, a question marked answered),
    # run in the commit's transaction with the rest.
    writes: list[Callable[[AsyncConnection], Awaitable[None]]] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return self.state.channel

    @property
    def sender_id(self) -> str:
        """The account that acted: who pressed, who wrote in a group, or the chat itself."""
        event = self.event
        if isinstance(event, ButtonPress) and event.presser_id:
            return event.presser_id
        if isinstance(event, Text | Command) and event.author_id:
            return event.author_id
        return event.sender.external_id

    def say(self, text: str | tuple[Span, ...], buttons: Buttons = (), to: str | None = None
            ) -> None:
        spans = (Span(text),) if isinstance(text, str) else text
        self.replies.append(Say(spans, buttons, to, self.topic if to is None else None))

    @property
    def topic(self) -> str | None:
        """The forum topic of the group chat the event was written in (a member's topic in
        the staff chat, a command like /inbox written there): the bot's answers go there too,
        not to the general topic."""
        event = self.event
        if isinstance(event, Text | Command) and event.sender.is_group:
            return event.thread
        return None

    def audit(self, action: Action, result: Result, details: dict[str, Any] | None = None
              ) -> None:
        self.audits.append((f"chat.{action}", result, dict(details or {})))


async def allowed(ctx: ChatContext, turn: Turn, action: Action, *, continues: bool = False
                  ) -> bool:
    """core.access's decision from the roles held now; a refusal is answered and audited."""
    event = turn.event
    request = ChatRequest(
        turn.channel, turn.sender_id, action,
        sender_chat_id=getattr(event, "sender_chat", None),
        is_forwarded=isinstance(event, Command) and event.forwarded,
        dialogue_owner=turn.state.account if continues else None,
        chat_id=event.sender.external_id,
    )
    decision = await check(ctx.reader, request)
    if decision.allowed:
        return True
    other = turn.sender_id if turn.sender_id != turn.state.account else None
    turn.say(decision.reason, to=other if request.sender_chat_id is None else None)
    if action not in EVERYONE:
        turn.audit(action, Result.REFUSED, {"refusal": str(decision.refusal)})
    return False
