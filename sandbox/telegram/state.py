"""Everything one emulator instance knows; shared by the HTTP methods and the member actions."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from sandbox.limits import Clock

from .files import FileStore
from .knobs import TelegramKnobs
from .polls import PollState
from .ratelimit import SendGate
from .spec import Spec, load_spec
from .stats import StatsBook
from .updates import UpdateQueue
from .webhook import WebhookDeliverer
from .world import BotAccount, StoredMessage, Target, World

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotMessage:
    """A bot's message accepted for a chat, as told to listeners (the simulated union)."""

    token: str
    bot_id: int
    chat_id: int
    message_id: int
    kind: str  # "text", "photo", "document" or "poll"
    text: str | None
    reply_markup: Mapping[str, Any] | None
    poll_id: str | None
    message: Mapping[str, Any]


@dataclass
class CallbackState:
    token: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[BotMessage], None]


class EmulatorState:
    def __init__(self, knobs: TelegramKnobs, clock: Clock) -> None:
        self.knobs = knobs
        self.clock = clock
        self.rng = random.Random(knobs.seed)
        self.world = World()
        self.files = FileStore()
        self.gate = SendGate(knobs, clock)
        self.stats = StatsBook()
        self.queues: dict[str, UpdateQueue] = {}
        self.webhooks: dict[str, WebhookDeliverer] = {}
        self.polls: dict[str, PollState] = {}
        self.callbacks: dict[str, CallbackState] = {}
        self.listeners: list[Listener] = []
        self.http: aiohttp.ClientSession | None = None
        self._closing: asyncio.Event | None = None
        self._next_poll = 5_000_000_000_000_000_000

    def client(self) -> aiohttp.ClientSession:
        """The HTTP client for webhooks and files sent by URL, created inside the loop."""
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession()
        return self.http

    def _closing_event(self) -> asyncio.Event:
        if self._closing is None:
            self._closing = asyncio.Event()
        return self._closing

    async def hang(self, seconds: float) -> None:
        """Hold an answer back (p_timeout); ends early when the emulator shuts down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing_event().wait(), seconds)

    async def shutdown(self, _app: object = None) -> None:
        """Release hanging answers and long polls so the server can stop at once."""
        self._closing_event().set()
        for queue in self.queues.values():
            queue.release()

    async def aclose(self, _app: object = None) -> None:
        """Stop webhook deliveries and close the HTTP client (also an app on_cleanup hook)."""
        for deliverer in list(self.webhooks.values()):
            await deliverer.stop()
        self.webhooks.clear()
        if self.http is not None:
            await self.http.close()
            self.http = None

    @property
    def spec(self) -> Spec:
        return load_spec()

    def add_bot(self, token: str, first_name: str, username: str) -> BotAccount:
        bot_id = int(token.split(":", 1)[0])
        bot = BotAccount(token, bot_id, first_name, username)
        self.world.bots[token] = bot
        # Update ids start at an arbitrary positive number, as on Telegram.
        self.queues[token] = UpdateQueue(first_update_id=self.rng.randint(10**8, 9 * 10**8))
        return bot

    def queue(self, token: str) -> UpdateQueue:
        return self.queues[token]

    def push_update(self, token: str, kind: str, payload: dict[str, Any]) -> None:
        if self.queues[token].push(kind, copy.deepcopy(payload)) is not None:
            self.stats.updates_created += 1

    def now(self) -> int:
        return int(time.time())

    def new_poll_id(self) -> str:
        self._next_poll += self.rng.randint(1, 10**6)
        return str(self._next_poll)

    def bot_message(
        self, bot: BotAccount, target: Target, content: dict[str, Any], kind: str
    ) -> StoredMessage:
        """Store a message the bot sent; listeners hear of it."""
        message_id = self.world.history.next_id(bot.token, target.chat_id)
        # A channel post has no `from` ("may be empty for messages sent to channels"); its
        # sender_chat is the channel itself (Bot API, Message).
        author = ({"sender_chat": target.chat_json()}
                  if target.group is not None and target.group.kind == "channel"
                  else {"from": bot.user_json()})
        payload = {
            "message_id": message_id,
            **author,
            "chat": target.chat_json(),
            "date": self.now(),
            **content,
        }
        stored = StoredMessage(bot.token, target.chat_id, message_id, True, payload, kind)
        self.world.history.add(stored)
        self.stats.record_send(bot.id, target.chat_id)
        self._notify(bot, stored)
        return stored

    def stats_snapshot(self) -> dict[str, Any]:
        gate = self.gate
        busiest = {str(b.id): gate.busiest_second(b.token) for b in self.world.bots.values()}
        gate_part = {
            "rate_limit_refusals": dict(gate.refusals),
            "violations": gate.retry.violations,
            "violations_by_scope": {
                self._scope_name(scope): count
                for scope, count in gate.retry.violations_by_scope.items()
            },
            "max_sends_in_1s": max(busiest.values(), default=0),
            "max_sends_in_1s_by_bot": busiest,
        }
        files_part = {"uploads_total": self.files.uploads, "upload_bytes": self.files.upload_bytes}
        return self.stats.snapshot(gate_part, files_part)

    def _scope_name(self, scope: Any) -> str:
        """("chat", token, 42) -> "chat:<bot id>:42" (tokens stay out of the stats)."""
        kind, token, *rest = scope
        bot = self.world.bots.get(token)
        return ":".join([kind, str(bot.id if bot else "?"), *map(str, rest)])

    def _notify(self, bot: BotAccount, stored: StoredMessage) -> None:
        payload = stored.payload
        poll = payload.get("poll")
        event = BotMessage(
            token=bot.token,
            bot_id=bot.id,
            chat_id=stored.chat_id,
            message_id=stored.message_id,
            kind=stored.kind,
            text=payload.get("text", payload.get("caption")),
            reply_markup=payload.get("reply_markup"),
            poll_id=poll["id"] if poll else None,
            message=copy.deepcopy(payload),
        )
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not break the emulated platform
                log.exception("bot message listener failed")
