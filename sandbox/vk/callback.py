"""Callback API delivery (dev.vk.com/ru/api/callback/getting-started).

Each server first gets {"type": "confirmation", "group_id"} and must answer the community's
confirmation string; then events are POSTed one at a time as JSON {type, event_id, v,
object, group_id, secret}, and anything but HTTP 200 with the body "ok" is retried with
the header X-Retry-Counter: n (1, 2, ...), a backoff of callback_backoff_s * n apart.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from sandbox.vk.events import EVENT_TYPES, Event
from sandbox.vk.knobs import VkKnobs
from sandbox.vk.stats import VkStats


@dataclass
class CallbackServer:
    """One receiver: its address, secret, event types, and the state of its handshake."""

    server_id: int
    url: str
    title: str
    secret: str
    api_version: str
    event_types: set[str]
    status: str = "unconfigured"  # -> wait -> ok | failed, as groups.getCallbackServers says
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)

    def as_vk(self, creator_id: int) -> dict[str, Any]:
        return {
            "id": self.server_id,
            "title": self.title,
            "creator_id": creator_id,
            "url": self.url,
            "secret_key": self.secret,
            "status": self.status,
        }


class CallbackDelivery:
    """The community's Callback API servers and the tasks that post events to them."""

    def __init__(self, knobs: VkKnobs, stats: VkStats, confirmation: str) -> None:
        self._knobs = knobs
        self._stats = stats
        self.confirmation = confirmation
        self.servers: dict[int, CallbackServer] = {}
        self._session: aiohttp.ClientSession | None = None
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def add(self, url: str, title: str, secret: str, event_types: set[str]) -> CallbackServer:
        server = CallbackServer(
            server_id=len(self.servers) + 1,
            url=url,
            title=title,
            secret=secret,
            api_version=self._knobs.api_version,
            event_types=event_types,
        )
        self.servers[server.server_id] = server
        self._launch(server)
        return server

    def sink(self, event: Event) -> None:
        for server in self.servers.values():
            if event.type in server.event_types and server.status != "failed":
                server.queue.put_nowait(event)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        for server in self.servers.values():
            self._launch(server)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _launch(self, server: CallbackServer) -> None:
        if self._session is None or server.server_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._serve(server))
        self._tasks[server.server_id] = task

    async def _serve(self, server: CallbackServer) -> None:
        server.status = "wait"
        handshake = {"type": "confirmation", "group_id": self._knobs.group_id}
        if not await self._post(server, handshake, expect=self.confirmation):
            server.status = "failed"
            self._stats.callback["confirmations_failed"] += 1
            return
        server.status = "ok"
        self._stats.callback["confirmations"] += 1
        while True:
            event = await server.queue.get()
            body = {**event.envelope(server.api_version)}
            if server.secret:
                body["secret"] = server.secret
            delivered = await self._post(server, body, expect="ok")
            self._stats.callback["delivered" if delivered else "failed"] += 1

    async def _post(self, server: CallbackServer, body: dict[str, Any], expect: str) -> bool:
        for attempt in range(self._knobs.callback_attempts):
            if attempt:
                self._stats.callback["retries"] += 1
                await asyncio.sleep(self._knobs.callback_backoff_s * attempt)
            headers = {"Content-Type": "application/json"}
            if attempt:
                headers["X-Retry-Counter"] = str(attempt)
            if await self._attempt(server.url, body, headers) == expect:
                return True
        return False

    async def _attempt(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> str:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=self._knobs.callback_timeout_s)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            async with self._session.post(url, data=data, headers=headers, timeout=timeout) as r:
                text = await r.text()
                return text.strip() if r.status == 200 else ""
        except (aiohttp.ClientError, TimeoutError):
            return ""


def default_event_types() -> set[str]:
    return set(EVENT_TYPES)
