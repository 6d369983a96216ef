"""The Viber users the emulator knows, what each has received, and the per-user rules.

Per-user rules checked before a bot message is accepted: registered (5), subscribed (6),
client API level (13), at most `per_user_cap` messages per window without a reply (12),
and the billing of bot-initiated messages outside a 24 h session (23, 24).
"""

from __future__ import annotations

import base64
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..limits import Clock, SlidingWindow
from .errors import (
    API_VERSION_NOT_SUPPORTED,
    FREE_MESSAGES_EXCEEDED,
    NO_BALANCE,
    NOT_REGISTERED,
    NOT_SUBSCRIBED,
    TOO_MANY_REQUESTS,
    USER_CAP_MESSAGE,
    Refusal,
)
from .knobs import ViberKnobs
from .stats import ViberStats
from .validation import MessageDraft

logger = logging.getLogger(__name__)

CHAT_HOSTNAME = "SN-CHAT-05_"


@dataclass
class ViberUser:
    """One Viber user as the platform sees them (mutable platform state, not a message)."""

    id: str
    name: str
    avatar: str | None = None
    country: str = "RU"
    language: str = "ru"
    api_version: int = 10
    primary_device_os: str = "Android 13"
    viber_version: str = "24.0.0"
    device_type: str = "SM-A525F"
    personalization: bool = True
    registered: bool = True
    subscribed: bool = False
    last_reply_at: float | None = None
    cap: SlidingWindow | None = None
    details_window: SlidingWindow | None = None
    last_tracking_data: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BotMessage:
    """A bot message the platform accepted for one user: what that user sees, in order."""

    message_token: int
    receiver: str
    type: str
    text: str | None
    media: str | None
    tracking_data: str | None
    keyboard: Mapping[str, Any] | None
    endpoint: str
    fields: Mapping[str, Any]

    def reply_buttons(self) -> list[Mapping[str, Any]]:
        """The keyboard's buttons that send their ActionBody back as a message."""
        if not self.keyboard:
            return []
        buttons = self.keyboard.get("Buttons", [])
        return [b for b in buttons if b.get("ActionType", "reply") == "reply"]


BotMessageListener = Callable[[BotMessage], None]


class Audience:
    """Users, chat logs, tokens and the per-user checks of one emulated bot account."""

    def __init__(self, knobs: ViberKnobs, clock: Clock, stats: ViberStats) -> None:
        self._knobs = knobs
        self._clock = clock
        self._stats = stats
        self._rng = random.Random(knobs.seed)
        self._next_token = 4_900_000_000_000_000_000 + self._rng.randrange(10**17)
        self.users: dict[str, ViberUser] = {}
        self.logs: dict[str, list[BotMessage]] = {}
        self.listeners: list[BotMessageListener] = []
        self.bot_initiated = 0

    def new_user_id(self) -> str:
        """A fresh id shaped like Viber's (base64 of 16 bytes, e.g. "jc9HsWTZ2Yf2NkRZ8KcNug==")."""
        while True:
            user_id = base64.b64encode(self._rng.randbytes(16)).decode("ascii")
            if user_id not in self.users:
                return user_id

    def add(self, user: ViberUser) -> ViberUser:
        if user.id in self.users:
            raise ValueError(f"user {user.id!r} is already registered")
        if self._knobs.per_user_cap is not None:
            user.cap = SlidingWindow(self._knobs.per_user_cap, self._knobs.per_user_window_s)
        user.details_window = SlidingWindow(
            self._knobs.user_details_cap, self._knobs.user_details_window_s
        )
        self.users[user.id] = user
        self.logs[user.id] = []
        return user

    def get(self, user_id: str) -> ViberUser:
        user = self.users.get(user_id)
        if user is None:
            raise KeyError(f"no Viber user {user_id!r} in the sandbox")
        return user

    def new_token(self) -> int:
        # Real tokens are 64-bit integers (e.g. 4987381194038857789); steps are irregular.
        self._next_token += self._rng.randrange(1, 10_000)
        return self._next_token

    def user_replied(self, user: ViberUser) -> None:
        """A message from the user: the 100-per-hour count restarts and a session opens."""
        user.last_reply_at = self._clock()
        if user.cap is not None:
            user.cap = SlidingWindow(user.cap.limit, user.cap.window_s)

    def check_receiver(self, receiver: str, draft: MessageDraft) -> ViberUser:
        """The user, if the bot may message them now; else a Refusal with Viber's status."""
        user = self.users.get(receiver)
        if user is None or not user.registered:
            raise Refusal(NOT_REGISTERED)
        if not user.subscribed:
            raise Refusal(NOT_SUBSCRIBED)
        if user.api_version < draft.min_api_version:
            raise Refusal(API_VERSION_NOT_SUPPORTED)
        now = self._clock()
        if user.cap is not None and user.cap.would_exceed(now):
            self._stats.user_cap_refusals += 1
            raise Refusal(TOO_MANY_REQUESTS, USER_CAP_MESSAGE)
        if self._is_billable(user, now):
            self._check_balance()
        return user

    def _is_billable(self, user: ViberUser, now: float) -> bool:
        return user.last_reply_at is None or now - user.last_reply_at > self._knobs.session_s

    def _check_balance(self) -> None:
        knobs = self._knobs
        if knobs.free_messages is not None and self.bot_initiated >= knobs.free_messages:
            raise Refusal(FREE_MESSAGES_EXCEEDED)
        if knobs.balance_messages is not None and self.bot_initiated >= knobs.balance_messages:
            raise Refusal(NO_BALANCE)

    def deliver(
        self, user: ViberUser, draft: MessageDraft, token: int, endpoint: str
    ) -> BotMessage:
        """Record an accepted message for `user` and tell the listeners."""
        now = self._clock()
        if endpoint != "welcome":
            if user.cap is not None:
                user.cap.record(now)
            if self._is_billable(user, now):
                self.bot_initiated += 1
                self._stats.billable_messages += 1
        text = draft.fields.get("text")
        message = BotMessage(
            message_token=token,
            receiver=user.id,
            type=draft.type,
            text=text if isinstance(text, str) else None,
            media=draft.media,
            tracking_data=draft.tracking_data,
            keyboard=draft.keyboard,
            endpoint=endpoint,
            fields=dict(draft.fields),
        )
        self.logs[user.id].append(message)
        user.last_tracking_data = draft.tracking_data
        self._stats.accepted(user.id, endpoint)
        for listener in list(self.listeners):
            try:
                listener(message)
            except Exception:  # a faulty listener must not fail the bot's request
                logger.exception("bot message listener failed")
        return message
