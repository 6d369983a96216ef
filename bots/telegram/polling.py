"""Our own getUpdates loop: an update is confirmed (the next offset) only after it was handled.

aiogram's Dispatcher.start_polling handles updates as tasks and confirms their offset with
its next getUpdates before our handlers commit (PLATFORMS.md, Polling), so it is not used.

Updates are fetched as plain JSON and read one by one: aiogram reads a getUpdates answer
whole, so one update it cannot read (a shape from a newer Bot API, a fault) would fail every
call and stop polling for good. Such an update is logged with its body and confirmed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from pydantic import ValidationError

from .inbound import ALLOWED_UPDATES

log = logging.getLogger("rupor.telegram")

# Telegram holds a long poll up to 50 s; 25 s keeps well inside proxies' idle timeouts.
LONG_POLL_S = 25


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, its updates left as JSON objects (read one by one by `readable`)."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class UpdatePoller:
    """Fetches updates and hands each to `handle`, in order; a failure refetches the same one."""

    pause_s = 0.2  # first wait after a failure, doubled up to max_pause_s
    max_pause_s = 5.0

    def __init__(self, bot: Bot, handle: Callable[[Update], Awaitable[None]],
                 http_timeout_s: float) -> None:
        self.bot = bot
        self.handle = handle
        self.offset: int | None = None
        self.request_timeout = int(LONG_POLL_S + http_timeout_s)

    async def run(self, ready: Callable[[], Awaitable[None]] | None = None) -> None:
        """Call `ready` until it succeeds (deleteWebhook, getMe), then poll until cancelled."""
        if ready is not None:
            await retrying(ready, "setting up polling", self.pause_s, self.max_pause_s)
        while True:
            await retrying(self._batch, "getUpdates or handling an update", self.pause_s,
                           self.max_pause_s)

    async def _batch(self) -> None:
        method = GetRawUpdates(
            offset=self.offset, timeout=LONG_POLL_S, allowed_updates=list(ALLOWED_UPDATES)
        )
        for raw in await self.bot(method, request_timeout=self.request_timeout):
            update = readable(raw, self.bot)
            if update is not None:
                await self.handle(update)
            self.offset = int(raw["update_id"]) + 1


def readable(raw: dict[str, Any], bot: Bot) -> Update | None:
    """The update, or None (logged with its body) when aiogram cannot read it."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as exc:
        log.error("telegram: update %s is not one aiogram can read; skipped (%s): %.2000r",
                  raw.get("update_id"), exc.errors(include_url=False)[:3], raw)
        return None


async def retrying(step: Callable[[], Awaitable[None]], what: str, pause_s: float,
                   max_pause_s: float) -> None:
    """Run `step` until it returns, pausing after each failure (doubling up to the maximum).
    An outage is one line when it starts and one when it ends; a bug keeps its traceback."""
    pause, failures = pause_s, 0
    while True:
        try:
            await step()
            if failures:
                log.info("telegram: %s works again after %d failures", what, failures)
            return
        except asyncio.CancelledError:
            raise
        except (TelegramNetworkError, TelegramServerError) as exc:
            failures += 1
            level = logging.WARNING if failures == 1 else logging.DEBUG
            log.log(level, "telegram: %s failed (%s); retrying", what, exc)
        except (TelegramUnauthorizedError, TelegramConflictError) as exc:
            # A revoked token (401) or a second poller/webhook (409) lasts until someone
            # acts: said once, in Russian, not as a traceback every few seconds.
            failures += 1
            level = logging.ERROR if failures == 1 else logging.DEBUG
            log.log(level, "telegram: получение сообщений не работает (%s): %s; проверьте "
                    "токен бота и что его не опрашивает другой процесс; повторяем", what, exc)
        except Exception:  # a failed step is logged and tried again; nothing is confirmed
            failures += 1
            log.exception("telegram: %s failed; retrying in %.1f s", what, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, max_pause_s)
