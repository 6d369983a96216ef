"""The HTTP face of the emulator: POST {base}/pa/{endpoint} and GET {base}/__sandbox/stats.

Every request goes through one pipeline: parse, authenticate, rate window, injected faults,
account switches, the endpoint, then the injected hang and latency. Viber answers failures
with HTTP 200 and a status != 0; only injected 5xx faults use another HTTP status.

Rate window: at most `rate_limit` requests per token in any `rate_window_s` (500 per 10 s).
Viber gives no retry_after with status 12, so the sandbox defines the announced window as
the rest of the sliding window: until the oldest counted request leaves it, i.e. until one
more request would be accepted. Requests arriving inside that window more than 50 ms after
the announcement count as violations (sandbox/limits.RetryWindows).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from ..limits import RetryWindows, SlidingWindow
from . import account, messaging
from .errors import (
    ACCOUNT_BLOCKED,
    INVALID_AUTH_TOKEN,
    MISSING_AUTH_TOKEN,
    TOO_MANY_REQUESTS,
    Refusal,
    bad_data,
)
from .platform import Platform
from .stats import RequestWindows

AUTH_HEADER = "X-Viber-Auth-Token"
Endpoint = Callable[[Platform, Mapping[str, Any], bytes], Awaitable[dict[str, Any]]]
ENDPOINTS: dict[str, Endpoint] = {
    "set_webhook": account.set_webhook,
    "get_account_info": account.get_account_info,
    "get_user_details": account.get_user_details,
    "get_online": account.get_online,
    "send_message": messaging.send_message,
    "broadcast_message": messaging.broadcast_message,
}
# One bot account, one token: the scope of the rate window and its announced windows.
TOKEN_SCOPE = "token"


def _parse(raw: bytes) -> tuple[dict[str, Any], Refusal | None]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        return {}, bad_data("the request body is not valid JSON")
    if not isinstance(body, dict):
        return {}, bad_data("the request body must be a JSON object")
    return body, None


class ViberServer:
    """aiohttp application and request pipeline over one Platform."""

    def __init__(self, platform: Platform, stats_view: Callable[[], dict[str, Any]]) -> None:
        knobs = platform.knobs
        self.platform = platform
        self.retry = RetryWindows()
        self.limit = SlidingWindow(knobs.rate_limit, knobs.rate_window_s)
        self.windows = RequestWindows(knobs.rate_window_s)
        self._rng = random.Random(knobs.seed + 1)
        self._stats_view = stats_view
        self._closing = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/pa/{endpoint}", self.handle)
        self.app.router.add_get("/__sandbox/stats", self.handle_stats)

    def closing(self) -> None:
        """Release requests hanging on an injected timeout (called on close)."""
        self._closing.set()

    async def handle_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self._stats_view())

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["endpoint"]
        endpoint = ENDPOINTS.get(name)
        if endpoint is None:
            raise web.HTTPNotFound(text=f"unknown endpoint /pa/{name}")
        stats = self.platform.stats
        stats.requests[name] += 1
        raw = await request.read()
        try:
            answer = await self._serve(request, endpoint, raw)
        except Refusal as refusal:
            stats.refusal(refusal.status)
            answer = refusal.body()
        if self.platform.knobs.latency_s > 0:
            await asyncio.sleep(self.platform.knobs.latency_s)
        return web.json_response(answer)

    async def _serve(self, request: web.Request, endpoint: Endpoint, raw: bytes) -> dict[str, Any]:
        body, parse_error = _parse(raw)
        self._authenticate(request, body)
        now = self.platform.clock()
        self._rate_window(now)
        self._inject_faults(now)
        if self.platform.knobs.account_blocked:
            raise Refusal(ACCOUNT_BLOCKED)
        if parse_error is not None:
            raise parse_error
        answer = await endpoint(self.platform, body, raw)
        if self._roll(self.platform.knobs.p_timeout):
            # Accepted and recorded above; the answer never comes in time.
            self.platform.stats.injected_timeouts += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.platform.knobs.hang_s)
        return answer

    def _authenticate(self, request: web.Request, body: Mapping[str, Any]) -> None:
        header = request.headers.get(AUTH_HEADER)
        in_body = body.get("auth_token")
        if in_body is not None:
            # viberbot's sender puts the token in the body (and logs bodies on errors).
            self.platform.stats.token_in_body += 1
        token = header if header is not None else in_body
        if not token:
            raise Refusal(INVALID_AUTH_TOKEN, MISSING_AUTH_TOKEN)
        expected = self.platform.knobs.auth_token.encode("utf-8")
        tokens = [t for t in (header, in_body) if t is not None]
        if not all(
            isinstance(t, str) and hmac.compare_digest(t.encode(), expected) for t in tokens
        ):
            raise Refusal(INVALID_AUTH_TOKEN)

    def _rate_window(self, now: float) -> None:
        self.windows.record(now)
        self.retry.check(TOKEN_SCOPE, now)
        if self.limit.would_exceed(now):
            self.platform.stats.rate_limited += 1
            self.retry.announce(TOKEN_SCOPE, now, self.limit.retry_after(now))
            raise Refusal(TOO_MANY_REQUESTS)
        self.limit.record(now)

    def _inject_faults(self, now: float) -> None:
        knobs = self.platform.knobs
        if self._roll(knobs.p_5xx):
            self.platform.stats.injected_5xx += 1
            raise web.HTTPInternalServerError(text="Internal Server Error")
        if self._roll(knobs.p_429):
            self.platform.stats.injected_429 += 1
            self.retry.announce(TOKEN_SCOPE, now, knobs.fault_retry_window_s)
            raise Refusal(TOO_MANY_REQUESTS)

    def _roll(self, probability: float) -> bool:
        return probability > 0 and self._rng.random() < probability
