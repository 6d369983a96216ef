"""The state one emulated VK community keeps, shared by the API methods and member actions."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.limits import Clock, RetryWindows, WindowBook
from sandbox.vk.callback import CallbackDelivery
from sandbox.vk.events import Event, EventHub
from sandbox.vk.knobs import VkKnobs
from sandbox.vk.longpoll import LongPoll
from sandbox.vk.media import MediaStore
from sandbox.vk.model import BotMessage, Chat, Dialog, Member
from sandbox.vk.stats import VkStats

BotMessageListener = Callable[[BotMessage], None]
WallClock = Callable[[], float]


@dataclass(frozen=True)
class Token:
    """An access token: a community's ("group") or a user's, and whose it is."""

    value: str
    kind: str
    owner_id: int


class World:
    """Members, dialogs, media, polls, tokens, limits and counters of one community."""

    def __init__(self, knobs: VkKnobs, clock: Clock, wall_clock: WallClock) -> None:
        self.knobs = knobs
        self.clock = clock
        self.wall_clock = wall_clock
        self.base_url = ""
        self.faults = random.Random(knobs.seed)
        self.stats = VkStats()
        self.events = EventHub(knobs.group_id, knobs.seed)
        self.longpoll = LongPoll(knobs, clock, self.stats)
        self.callbacks = CallbackDelivery(knobs, self.stats, knobs.callback_confirmation)
        self.events.subscribe(self._count_event)
        self.events.subscribe(self.longpoll.sink)
        self.events.subscribe(self.callbacks.sink)
        self.tokens: dict[str, Token] = {}
        self.add_token(knobs.group_token, "group", knobs.group_id)
        self.add_token(knobs.admin_user_token, "user", knobs.admin_user_id)
        self.group_windows = WindowBook(knobs.group_rps, knobs.rate_window_s)
        self.user_windows = WindowBook(knobs.user_rps, knobs.rate_window_s)
        self.retry_windows = RetryWindows()
        self.members: dict[int, Member] = {}
        self.dialogs: dict[int, Dialog] = {}
        self.chats: dict[int, Chat] = {}  # by peer id (sandbox.vk.chats)
        self._next_message_id = 1
        self.media = MediaStore()
        self.polls: dict[int, dict[str, Any]] = {}
        self.poll_votes: dict[int, dict[int, list[int]]] = {}
        self.posts: dict[tuple[int, int], dict[str, Any]] = {}
        self.wall_guids: dict[tuple[int, str], tuple[int, float]] = {}  # -> (post_id, at)
        self.pending_button_events: dict[str, tuple[int, int]] = {}
        self.event_answers: list[dict[str, Any]] = []
        self.listeners: list[BotMessageListener] = []

    @property
    def community_id(self) -> int:
        """The community as an owner/peer/from id: its negated group id."""
        return -self.knobs.group_id

    def add_token(self, value: str, kind: str, owner_id: int) -> Token:
        if kind not in ("group", "user"):
            raise ValueError("a token is a community's ('group') or a user's ('user')")
        token = self.tokens[value] = Token(value=value, kind=kind, owner_id=owner_id)
        return token

    def dialog(self, peer_id: int) -> Dialog:
        dialog = self.dialogs.get(peer_id)
        if dialog is None:
            dialog = self.dialogs[peer_id] = Dialog(peer_id, depth=self.knobs.random_id_depth)
        return dialog

    def take_message_id(self) -> int:
        """Community-wide message ids, shared by both directions as in a VK community."""
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def date(self) -> int:
        return int(self.wall_clock())

    def member(self, user_id: int) -> Member:
        member = self.members.get(user_id)
        if member is None:
            raise LookupError(f"VK user {user_id} is not registered: call register_user first")
        return member

    def _count_event(self, event: Event) -> None:
        self.stats.events[event.type] += 1

    def notify(self, message: BotMessage) -> None:
        for listener in list(self.listeners):
            listener(message)


def default_wall_clock() -> float:
    return time.time()
