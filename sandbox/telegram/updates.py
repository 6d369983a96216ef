"""A bot's pending updates: getUpdates long polling, offsets, allowed_updates."""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import conflict

# "Defaults to all update types except chat_member, message_reaction, and
# message_reaction_count" (Bot API, getUpdates.allowed_updates).
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

OTHER_POLLER = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
BY_WEBHOOK = "terminated by setWebhook request"


class UpdateQueue:
    """Updates waiting for confirmation; one long poll at a time, as the Bot API server allows."""

    def __init__(self, first_update_id: int) -> None:
        self._items: list[dict[str, Any]] = []
        self._next_id = first_update_id
        self.allowed: frozenset[str] | None = None
        self._poller: asyncio.Future[str] | None = None
        self._signal = asyncio.Event()
        self.created = 0

    def accepts(self, kind: str) -> bool:
        if self.allowed is None:
            return kind not in NOT_BY_DEFAULT
        return kind in self.allowed

    def set_allowed(self, kinds: list[str] | None) -> None:
        """An empty list restores the default set, as the Bot API documents."""
        self.allowed = frozenset(kinds) if kinds else None

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update; types the bot did not subscribe to are never stored."""
        if not self.accepts(kind):
            return None
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._items.append(update)
        self.created += 1
        self._wake("update")
        self._signal.set()
        self._signal = asyncio.Event()
        return update

    def _wake(self, reason: str) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(reason)

    @property
    def pending(self) -> int:
        return len(self._items)

    def first(self) -> dict[str, Any] | None:
        return self._items[0] if self._items else None

    def remove(self, update_id: int) -> None:
        self._items = [u for u in self._items if u["update_id"] != update_id]

    def drop_all(self) -> None:
        self._items.clear()

    def confirm(self, offset: int) -> None:
        """A positive offset confirms earlier updates; a negative one keeps the last -offset."""
        if offset < 0:
            self._items = self._items[offset:]
        elif offset > 0:
            self._items = [u for u in self._items if u["update_id"] >= offset]

    def take(self, limit: int) -> list[dict[str, Any]]:
        return list(self._items[:limit])

    async def wait_for_push(self) -> None:
        await self._signal.wait()

    def release(self) -> None:
        """The emulator is shutting down: a waiting getUpdates answers now."""
        self._wake("shutdown")

    def abort_long_poll(self) -> None:
        """setWebhook ends a waiting getUpdates with 409."""
        self._wake("webhook")

    async def long_poll(self, timeout_s: float) -> None:
        """Wait until an update arrives or the timeout passes; a newer poll ends this one (409)."""
        if self._items or timeout_s <= 0:
            return
        self._wake("other")
        poller: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._poller = poller
        try:
            done, _ = await asyncio.wait({poller}, timeout=timeout_s)
        finally:
            if self._poller is poller:
                self._poller = None
        reason = poller.result() if done else "timeout"
        if reason == "other":
            raise conflict(OTHER_POLLER)
        if reason == "webhook":
            raise conflict(BY_WEBHOOK)
