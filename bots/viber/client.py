"""Our own async client of the Viber REST Bot API: POST JSON to {api_base}/pa/{endpoint}.

viberbot's sender is not used: it has no timeout, puts the token in the JSON body and logs
bodies on errors. Here the token travels only in the X-Viber-Auth-Token header.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

log = logging.getLogger("rupor.viber")

AUTH_HEADER = "X-Viber-Auth-Token"
# Getting a connection is bounded separately: a connect timeout means nothing was sent
# (aiohttp raises ConnectionTimeoutError for it, a plain TimeoutError for the rest).
CONNECT_TIMEOUT_S = 10.0


class Unsent(Exception):
    """The request never reached Viber (connection refused, connect timeout)."""


class Uncertain(Exception):
    """The request may have reached Viber, but no usable answer came back."""


class HttpFailure(Exception):
    """Viber (or a proxy in front of it) answered with an HTTP status other than 200."""

    def __init__(self, status: int, retry_after: float | None, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:200]}")
        self.status = status
        self.retry_after = retry_after


class ViberClient:
    """One aiohttp session per channel; `open()` before calls, `close()` at the end."""

    def __init__(self, api_base: str, token: str, timeout_s: float) -> None:
        self.api_base = api_base.rstrip("/")
        self._token = token
        connect = min(CONNECT_TIMEOUT_S, timeout_s)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=connect,
                                              sock_connect=connect)
        self._session: aiohttp.ClientSession | None = None

    @property
    def is_open(self) -> bool:
        return self._session is not None

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The JSON answer of one endpoint; raises Unsent, Uncertain or HttpFailure."""
        if self._session is None:
            raise RuntimeError("ViberClient.open() was not called")
        if "auth_token" in payload:
            raise ValueError("the auth token must never be put in the request body")
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {AUTH_HEADER: self._token, "Content-Type": "application/json"}
        url = f"{self.api_base}/pa/{endpoint}"
        try:
            async with self._session.post(url, data=raw, headers=headers) as response:
                text = await response.text()
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
        except aiohttp.ConnectionTimeoutError as exc:
            raise Unsent(f"connect timeout: {exc}") from None
        except aiohttp.ClientConnectorError as exc:
            raise Unsent(f"cannot connect: {exc}") from None
        except TimeoutError:
            raise Uncertain(f"no answer from /pa/{endpoint} in time") from None
        except aiohttp.ClientError as exc:
            raise Uncertain(f"{type(exc).__name__}: {exc}") from None
        if status != 200:
            log.warning("viber /pa/%s answered HTTP %d", endpoint, status)
            raise HttpFailure(status, retry_after, text)
        return _decode(endpoint, text)


def _decode(endpoint: str, text: str) -> dict[str, Any]:
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("status"), int):
        # HTTP 200 means Viber took the request; an unreadable answer hides its outcome.
        raise Uncertain(f"/pa/{endpoint} answered 200 without a readable status")
    return answer


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
