"""Bots Long Poll (dev.vk.com/ru/api/bots-long-poll/getting-started).

groups.getLongPollServer gives {server, key, ts}; GET {server}?act=a_check&key=&ts=&wait=
holds until an event newer than ts exists or `wait` seconds pass, then answers
{ts, updates}. {"failed": 1, "ts"} = ts is out of the kept history (take the new ts);
{"failed": 2} = the key expired (ask for a new key); {"failed": 3} = information was lost
(ask for a new key and ts). `force_failure` makes the next check answer one of these.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from typing import Any

from sandbox.limits import Clock
from sandbox.vk.events import EVENT_TYPES, Event
from sandbox.vk.knobs import VkKnobs
from sandbox.vk.stats import VkStats


class LongPoll:
    """Event history numbered by ts, keys, and the checks waiting for news."""

    def __init__(self, knobs: VkKnobs, clock: Clock, stats: VkStats) -> None:
        self._knobs = knobs
        self._clock = clock
        self._stats = stats
        self.enabled = knobs.lp_preconfigured
        self.api_version = knobs.api_version
        self.event_types: set[str] = set(EVENT_TYPES) if knobs.lp_preconfigured else set()
        self._history: deque[tuple[int, dict[str, Any]]] = deque(maxlen=knobs.lp_history)
        self._next_ts = 1
        self._keys: dict[str, float] = {}
        self._forced: int | None = None
        self._news = asyncio.Event()
        self._closing = False

    def sink(self, event: Event) -> None:
        if not self.enabled or event.type not in self.event_types:
            return
        self._history.append((self._next_ts, event.envelope(self.api_version)))
        self._next_ts += 1
        self._wake()

    def _wake(self) -> None:
        news, self._news = self._news, asyncio.Event()
        news.set()

    def issue(self, server: str) -> dict[str, str]:
        """A fresh key; earlier keys stay valid until they expire or are forced out."""
        key = secrets.token_hex(20)
        self._keys[key] = self._clock()
        return {"key": key, "server": server, "ts": str(self._next_ts)}

    def force_failure(self, code: int) -> None:
        """Make the next a_check answer {"failed": code} (1, 2 or 3)."""
        if code not in (1, 2, 3):
            raise ValueError("Bots Long Poll fails with 1, 2 or 3")
        self._forced = code

    def close(self) -> None:
        self._closing = True
        self._wake()

    async def check(self, key: str, ts: str, wait_s: float) -> dict[str, Any]:
        """One a_check: the answer, after holding up to wait_s for news."""
        self._stats.longpoll["checks"] += 1
        deadline = asyncio.get_running_loop().time() + min(wait_s, self._knobs.lp_max_wait_s)
        while True:
            answer = self._answer(key, ts)
            remaining = deadline - asyncio.get_running_loop().time()
            if "failed" in answer or answer["updates"] or remaining <= 0 or self._closing:
                return answer
            news = self._news
            try:
                await asyncio.wait_for(news.wait(), remaining)
            except TimeoutError:
                continue

    def _answer(self, key: str, ts: str) -> dict[str, Any]:
        forced = self._take_forced()
        if forced is not None:
            return forced
        issued = self._keys.get(key)
        if issued is None or self._clock() - issued > self._knobs.lp_key_ttl_s:
            return self._failed(2)
        oldest = self._history[0][0] if self._history else self._next_ts
        if not ts.isdigit() or not oldest <= int(ts) <= self._next_ts:
            return self._failed(1)
        updates = [envelope for seq, envelope in self._history if seq >= int(ts)]
        self._stats.longpoll["updates"] += len(updates)
        return {"ts": str(self._next_ts), "updates": updates}

    def _take_forced(self) -> dict[str, Any] | None:
        code, self._forced = self._forced, None
        if code is None:
            return None
        if code != 1:
            self._keys.clear()
        return self._failed(code)

    def _failed(self, code: int) -> dict[str, Any]:
        self._stats.longpoll[f"failed_{code}"] += 1
        return {"failed": code, "ts": str(self._next_ts)} if code == 1 else {"failed": code}
