"""Bots Long Poll (dev.vk.com/ru/api/bots-long-poll/getting-started), acknowledged after handling.

groups.getLongPollServer -> {server, key, ts}; GET {server}?act=a_check&key&ts&wait holds
until events newer than ts exist. The ts is saved (StateStore) only after on_event returned
for the whole batch, and restored at start, so nothing is lost across a crash or restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bots.transport import StartFailure
from bots.vk.api import VkApiPool
from bots.vk.clients import ClientInfo, client_info
from bots.vk.errors import failure_verdict, start_failure
from bots.vk.inbound import ButtonEvent, button_event, translate
from core.ports import EventHandler, StateStore

log = logging.getLogger("rupor.vk.longpoll")

WAIT_S = 25  # VK's recommended wait; the HTTP timeout adds a margin over it
RETRY_S = 1.0


class LongPoller:
    """One polling loop: fetch, hand every event over in order, then save the ts."""

    def __init__(
        self,
        api: VkApiPool,
        group_id: int,
        state: StateStore,
        on_press: Callable[[ButtonEvent], Awaitable[None]],
        *,
        on_client: Callable[[ClientInfo | None], Awaitable[None]] | None = None,
        wait_s: int = WAIT_S,
        retry_s: float = RETRY_S,
    ) -> None:
        self.api, self.group_id, self.state = api, group_id, state
        self.on_press, self.on_client = on_press, on_client
        self.wait_s, self.retry_s = wait_s, retry_s
        self.state_key = f"vk:{group_id}:longpoll_ts"
        self._server: dict[str, str] | None = None
        self._ts: str | None = None

    async def position(self) -> None:
        """Restore the saved ts and take a key, so events from now on are not missed;
        a fresh install starts at VK's current ts. Raises StartFailure."""
        self._ts = await self.state.get(self.state_key)
        try:
            await self._renew()
        except Exception as exc:  # the channel's start fails and is tried again later
            failure = start_failure(exc)
            raise failure or StartFailure("setup", f"groups.getLongPollServer: {exc!r}") from exc

    async def run(self, on_event: EventHandler) -> None:
        """Poll until cancelled."""
        timeout = aiohttp.ClientTimeout(total=self.wait_s + 10)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as http:
            while True:
                try:
                    await self._round(http, on_event)
                except asyncio.CancelledError:
                    raise
                except Exception:  # keep polling whatever one round met; the ts is not moved
                    log.exception("vk long poll round failed; retrying in %.1f s", self.retry_s)
                    await asyncio.sleep(self.retry_s)

    async def _renew(self) -> None:
        try:
            self._server = await self.api.call(
                "groups.getLongPollServer", {"group_id": self.group_id}
            )
        except Exception as exc:
            failure_verdict(exc, sending=False)  # raises ChannelError for a bad token
            raise
        if self._ts is None:
            # Saved at once: a process killed in its first round must resume from here, not
            # from VK's newer ts, or the rest of that round would be lost.
            self._ts = str(self._server["ts"])
            await self.state.set(self.state_key, self._ts)

    async def _round(self, http: aiohttp.ClientSession, on_event: EventHandler) -> None:
        if self._server is None:
            await self._renew()
        answer = await self._check(http)
        if "failed" in answer:
            self._failed(answer)
            return
        updates = [u for u in answer.get("updates", []) if isinstance(u, dict)]
        for update in updates:
            for event in translate(update):
                await on_event(event)
        self._ts = str(answer["ts"])
        await self.state.set(self.state_key, self._ts)
        for update in updates:
            if self.on_client is not None:
                await self.on_client(client_info(update))
            press = button_event(update)
            if press is not None:
                await self.on_press(press)

    async def _check(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        assert self._server is not None and self._ts is not None
        query = {
            "act": "a_check", "key": self._server["key"], "ts": self._ts, "wait": str(self.wait_s)
        }
        async with http.get(self._server["server"], params=query) as answer:
            answer.raise_for_status()
            body = await answer.json(content_type=None)
        if not isinstance(body, dict):
            raise ValueError(f"long poll answered {body!r}")
        return body

    def _failed(self, answer: dict[str, Any]) -> None:
        code = answer.get("failed")
        if code == 1:
            # The ts fell out of VK's history: what happened in between is lost.
            log.warning("vk long poll: history lost (failed 1), going on from ts %s", answer["ts"])
            self._ts = str(answer["ts"])
        elif code == 2:
            self._server = None  # the key expired: a new key, the same ts
        else:
            log.warning("vk long poll: information lost (failed %s), new key and ts", code)
            self._server, self._ts = None, None
