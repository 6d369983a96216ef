"""One lane per account: the chat service handles different accounts concurrently, each
account's events strictly in order, at most `limit` accounts at a time — so one press
secretary's slow step (a file to fetch, a report to draw) never delays another's answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("rupor.chat")

MAX_HANDLERS = 8  # accounts handled at once (each holds at most one reader connection)

Account = tuple[str, str]  # (channel, platform account id)


class Lanes:
    """`start(account)` makes sure `serve(channel, account)` runs for that account: at once
    if no lane of it runs, else once more after the running one (which may have looked at
    the queue before the new event came)."""

    def __init__(self, serve: Callable[[str, str], Awaitable[None]],
                 limit: int = MAX_HANDLERS) -> None:
        self._serve = serve
        self._slots = asyncio.Semaphore(limit)
        self._running: dict[Account, asyncio.Task[None]] = {}
        self._again: set[Account] = set()

    def start(self, account: Account) -> None:
        if account in self._running:
            self._again.add(account)
            return
        task = asyncio.create_task(self._lane(account), name=f"chat-{account[0]}-{account[1]}")
        self._running[account] = task
        task.add_done_callback(lambda _: self._running.pop(account, None))

    @property
    def busy(self) -> int:
        return len(self._running)

    async def wait(self) -> None:
        """Until every lane has finished (each finishes the step it is in)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _lane(self, account: Account) -> None:
        while True:
            self._again.discard(account)
            async with self._slots:
                try:
                    await self._serve(*account)
                except Exception:  # the next round tries again; the events stay queued
                    log.exception("chat: handling the queue of %s:%s failed", *account)
            if account not in self._again:
                return
