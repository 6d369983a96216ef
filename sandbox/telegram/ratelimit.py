"""Telegram's send limits (per bot, per chat, per group) and the windows its 429s announce.

Only sends count: send*, copyMessage (each creates a message). Edits, deletions, callback
answers and reads are not counted; Telegram documents its broadcast limits for messages sent
(core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this) and has no
published numbers for the rest.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable

from sandbox.limits import Clock, RetryWindows, SlidingWindow, WindowBook

from .errors import ApiError, too_many_requests
from .knobs import TelegramKnobs


def _seconds(wait_s: float) -> int:
    """retry_after is a whole number of seconds, at least 1."""
    return max(1, math.ceil(wait_s - 1e-9))


class SendGate:
    """Admits sends under the limits; a refused send gets 429 and opens a retry window."""

    def __init__(self, knobs: TelegramKnobs, clock: Clock) -> None:
        self.knobs = knobs
        self.clock = clock
        self.bot_windows = WindowBook(knobs.bot_ceiling, knobs.bot_window_s)
        self.paid_windows = WindowBook(knobs.paid_ceiling, knobs.bot_window_s)
        self.chat_windows = WindowBook(knobs.per_chat_per_s, knobs.chat_window_s)
        self.group_windows = WindowBook(knobs.per_group_per_min, knobs.group_window_s)
        # Stats only: the busiest 1 s of each bot, whatever the ceiling's window is.
        self.one_second = WindowBook(10**9, 1.0)
        self.retry = RetryWindows()
        self.refusals: Counter[str] = Counter()

    @staticmethod
    def bot_scope(token: str) -> Hashable:
        return ("bot", token)

    @staticmethod
    def chat_scope(token: str, chat_id: int) -> Hashable:
        return ("chat", token, chat_id)

    def admit(self, token: str, chat_id: int, is_group: bool, paid: bool) -> None:
        """Record the send, or raise 429 (Too Many Requests: retry after N)."""
        now = self.clock()
        self._respect_announced(token, chat_id, now)
        bot_window = (self.paid_windows if paid else self.bot_windows).get(token)
        checks: list[tuple[SlidingWindow, Hashable, str]] = [
            (bot_window, self.bot_scope(token), "paid_ceiling" if paid else "bot_ceiling"),
            (self.chat_windows.get((token, chat_id)), self.chat_scope(token, chat_id), "chat"),
        ]
        if is_group:
            checks.append(
                (self.group_windows.get((token, chat_id)), self.chat_scope(token, chat_id), "group")
            )
        for window, scope, reason in checks:
            if window.would_exceed(now):
                self._refuse(scope, now, window.retry_after(now), reason)
        for window in (
            self.bot_windows.get(token),
            self.paid_windows.get(token),
            self.chat_windows.get((token, chat_id)),
            self.one_second.get(token),
        ):
            window.record(now)
        if is_group:
            self.group_windows.get((token, chat_id)).record(now)

    def _respect_announced(self, token: str, chat_id: int, now: float) -> None:
        for scope in (self.bot_scope(token), self.chat_scope(token, chat_id)):
            left = self.retry.check(scope, now)
            if left > 0:
                self.refusals["inside_announced_window"] += 1
                raise too_many_requests(_seconds(left))

    def _refuse(self, scope: Hashable, now: float, wait_s: float, reason: str) -> None:
        seconds = _seconds(wait_s)
        self.retry.announce(scope, now, seconds)
        self.refusals[reason] += 1
        raise too_many_requests(seconds)

    def random_refusal(self, token: str, chat_id: int) -> ApiError:
        """An injected 429 (p_429) announces a window for the chat like a real one."""
        seconds = max(1, self.knobs.random_retry_after_s)
        self.retry.announce(self.chat_scope(token, chat_id), self.clock(), seconds)
        self.refusals["injected"] += 1
        return too_many_requests(seconds)

    def busiest_second(self, token: str) -> int:
        return self.one_second.get(token).max_in_window
