"""Webhook delivery: each update POSTed as JSON, one at a time in order, retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import aiohttp

from .knobs import TelegramKnobs
from .stats import StatsBook
from .updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class WebhookSettings:
    url: str
    secret_token: str = ""
    max_connections: int = 40
    ip_address: str = ""
    allowed_updates: list[str] | None = None
    last_error_date: int = 0
    last_error_message: str = ""
    delivered: int = 0


class WebhookDeliverer:
    """Owns the delivery task of one bot's webhook; stop() cancels it."""

    def __init__(
        self,
        settings: WebhookSettings,
        queue: UpdateQueue,
        session: aiohttp.ClientSession,
        knobs: TelegramKnobs,
        stats: StatsBook,
    ) -> None:
        self.settings = settings
        self._queue = queue
        self._session = session
        self._knobs = knobs
        self._stats = stats
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = self._knobs.webhook_backoff_s
        while True:
            update = self._queue.first()
            if update is None:
                await self._queue.wait_for_push()
                continue
            error = await self._post(update)
            if error is None:
                self._queue.remove(update["update_id"])
                self.settings.delivered += 1
                delay = self._knobs.webhook_backoff_s
                continue
            self.settings.last_error_date = int(time.time())
            self.settings.last_error_message = error
            self._stats.webhook_failures += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._knobs.webhook_backoff_max_s)

    async def _post(self, update: dict[str, object]) -> str | None:
        """None when the receiver answered 2xx, else the error as getWebhookInfo words it."""
        headers = {}
        if self.settings.secret_token:
            headers[SECRET_HEADER] = self.settings.secret_token
        self._stats.webhook_posts += 1
        timeout = aiohttp.ClientTimeout(total=self._knobs.webhook_timeout_s)
        try:
            async with self._session.post(
                self.settings.url, json=update, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {type(exc).__name__}"
