"""Callbacks to the bot's webhook: signed JSON posts, kept in order, retried on failure.

Signature: header X-Viber-Content-Signature = hex HMAC-SHA256(raw body, auth token)
(REST Bot API, Callbacks). Viber retries a failed callback "several times for an hour";
here the delays are `callback_retry_delays_s`, and a retry never holds up later callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from .knobs import FILTERABLE_EVENTS, ViberKnobs
from .stats import ViberStats

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Viber-Content-Signature"
ReplyHook = Callable[[bytes], Awaitable[None]]


def signature(raw: bytes, auth_token: str) -> str:
    """Hex HMAC-SHA256 of the raw body keyed by the auth token, as Viber signs callbacks."""
    return hmac.new(auth_token.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class WebhookConfig:
    """What set_webhook stored; send_name/send_photo default to false as on Viber."""

    url: str | None = None
    event_types: tuple[str, ...] = FILTERABLE_EVENTS
    send_name: bool = False
    send_photo: bool = False

    def wants(self, event: str) -> bool:
        # message, subscribed, unsubscribed and webhook cannot be filtered out.
        if event in ("message", "subscribed", "unsubscribed", "webhook"):
            return True
        return event in self.event_types


@dataclass(frozen=True)
class CallbackAttempt:
    """One post of one callback: its event, attempt number and HTTP status (None: no answer)."""

    event: str
    attempt: int
    http_status: int | None


def _user_of(payload: dict[str, Any]) -> str:
    for key in ("user", "sender"):
        if isinstance(payload.get(key), dict):
            return str(payload[key].get("id", ""))
    return str(payload.get("user_id", ""))


@dataclass
class _Pending:
    event: str
    raw: bytes
    on_reply: ReplyHook | None
    attempt: int = 0


class CallbackDispatcher:
    """Queue and post callbacks; `drain()` waits until every callback is settled."""

    def __init__(self, knobs: ViberKnobs, stats: ViberStats) -> None:
        self.knobs = knobs
        self.stats = stats
        self.webhook = WebhookConfig()
        self.attempts: list[CallbackAttempt] = []
        self._session: aiohttp.ClientSession | None = None
        self._queues: list[asyncio.Queue[_Pending]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsettled = 0
        self._idle = asyncio.Event()

    def start(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._queues = [asyncio.Queue() for _ in range(max(1, self.knobs.callback_workers))]
        self._idle.set()
        for queue in self._queues:
            self._spawn(self._worker(queue))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def enqueue(self, payload: dict[str, Any], on_reply: ReplyHook | None = None) -> bool:
        """Queue a callback; False when no webhook is set or the event is filtered out."""
        event = str(payload["event"])
        if not self._queues or self.webhook.url is None or not self.webhook.wants(event):
            self.stats.callbacks_not_sent += 1
            return False
        self._unsettled += 1
        self._idle.clear()
        # One queue per user keeps each user's callbacks in order; users run in parallel.
        queue = self._queues[zlib.crc32(_user_of(payload).encode()) % len(self._queues)]
        queue.put_nowait(_Pending(event, encode(payload), on_reply))
        return True

    async def verify(self, url: str, payload: dict[str, Any]) -> bool:
        """The set_webhook check: the URL must answer the `webhook` callback with 200."""
        self.stats.webhook_checks += 1
        status, _ = await self._post(url, encode(payload))
        self.attempts.append(CallbackAttempt("webhook", 0, status))
        self.stats.callbacks_by_event["webhook"] += 1
        return status == 200

    async def _post(self, url: str, raw: bytes) -> tuple[int | None, bytes]:
        assert self._session is not None, "the emulator is not started"
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(raw, self.knobs.auth_token),
        }
        timeout = aiohttp.ClientTimeout(total=self.knobs.webhook_timeout_s)
        try:
            async with self._session.post(url, data=raw, headers=headers, timeout=timeout) as resp:
                return resp.status, await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError):
            return None, b""

    async def _worker(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            pending = await queue.get()
            await self._attempt(pending)

    async def _attempt(self, pending: _Pending) -> None:
        url = self.webhook.url
        status, body = (None, b"") if url is None else await self._post(url, pending.raw)
        self.attempts.append(CallbackAttempt(pending.event, pending.attempt, status))
        if status == 200:
            self.stats.callbacks_delivered += 1
            self.stats.callbacks_by_event[pending.event] += 1
            if pending.on_reply is not None:
                await self._run_reply_hook(pending.on_reply, body)
            self._settle()
            return
        self.stats.callback_attempts_failed += 1
        delays = self.knobs.callback_retry_delays_s
        if pending.attempt >= len(delays):
            self.stats.callbacks_dropped += 1
            self._settle()
            return
        self._spawn(self._retry_later(pending, delays[pending.attempt]))

    async def _run_reply_hook(self, hook: ReplyHook, body: bytes) -> None:
        try:
            await hook(body)
        except Exception:  # the bot's odd answer must not stop the callback queue
            logger.exception("handling the answer to a callback failed")

    async def _retry_later(self, pending: _Pending, delay: float) -> None:
        await asyncio.sleep(delay)
        self.stats.callback_retries += 1
        pending.attempt += 1
        await self._attempt(pending)

    def _settle(self) -> None:
        self._unsettled -= 1
        if self._unsettled <= 0:
            self._unsettled = 0
            self._idle.set()

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued callback was delivered or dropped."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
