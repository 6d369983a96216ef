"""TelegramChannel: the Channel port over aiogram's Bot, pointed at `[telegram] api_base`."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from aiohttp import ClientError, ClientResponseError

from bots.transport import ChannelDeps, StartCause, StartFailure, WebhookAnswer
from core.config import Settings, TelegramSettings
from core.ports import (
    Capabilities,
    ChannelError,
    DeliveryResult,
    EventHandler,
    FileUnavailable,
    MediaFile,
    MessageEdit,
    Outbound,
    OutboundPoll,
    PollSent,
)
from core.sending.dispatch import MAX_CALLS_IN_FLIGHT

from . import topics
from .capabilities import paid_broadcast, telegram_capabilities
from .inbound import ALLOWED_UPDATES, callback_id, translate
from .lean import LeanSession
from .media import LeafletFiles
from .outbound import Outbox
from .polling import UpdatePoller
from .quick import quick_event
from .webhook import WEBHOOK_PATH, authentic, parse_update, unreadable_answer

log = logging.getLogger("rupor.telegram")

DOWNLOAD_TIMEOUT_S = 120  # a 50 MB leaflet over a slow uplink


class TelegramChannel:
    """One bot token: sends (one chat per call), leaflets by file_id, native polls, and
    inbound updates by our own getUpdates loop or by webhook (mode in the settings)."""

    name = "telegram"
    webhook_path = WEBHOOK_PATH

    def __init__(self, settings: TelegramSettings, capabilities: Capabilities, deps: ChannelDeps,
                 *, paid: bool = False, public_url: str | None = None) -> None:
        self.settings = settings
        self.capabilities = capabilities
        # The union's public channel /post may also post to, through the paced sender.
        self.public_chat = settings.channel_id
        self.deps = deps
        self.public_url = public_url or deps.public_url
        # More pooled connections than the core ever has calls in flight: a call that
        # waited for a free connection and timed out would look like a lost answer
        # (uncertain) although it never left.
        session = LeanSession(
            api=TelegramAPIServer.from_base(settings.api_base), timeout=deps.http_timeout_s,
            limit=MAX_CALLS_IN_FLIGHT + 64,
        )
        self.bot = Bot(settings.token, session=session,
                       default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        self.files = LeafletFiles()
        self.outbox = Outbox(self.bot, self.files, paid=paid, http_timeout_s=deps.http_timeout_s)
        self.poller = UpdatePoller(self.bot, self._handle, deps.http_timeout_s)
        self.username: str | None = None
        self._on_event: EventHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings, deps: ChannelDeps | None = None
                      ) -> TelegramChannel:
        if settings.telegram is None:
            raise ChannelError("the settings have no [telegram] section")
        deps = deps or ChannelDeps()
        return cls(settings.telegram, telegram_capabilities(settings), deps,
                   paid=paid_broadcast(settings),
                   public_url=deps.public_url or settings.server.public_url)

    # Sending ---------------------------------------------------------------------------

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]:
        return [await self.outbox.send(recipient, msg) for recipient in to]

    async def send_poll(self, to: Sequence[str], poll: OutboundPoll) -> list[PollSent]:
        return [await self.outbox.send_poll(recipient, poll) for recipient in to]

    async def edit(self, recipient: str, change: MessageEdit) -> DeliveryResult:
        """Change a message the bot sent (capabilities.edits_messages)."""
        return await self.outbox.edit(recipient, change)

    async def is_forum(self, chat: str) -> bool | None:
        """Whether a group is a forum supergroup now (capabilities.forum_topics)."""
        return await topics.is_forum(self.bot, chat)

    async def create_topic(self, chat: str, name: str) -> DeliveryResult:
        """A new forum topic in the group: SENT with its message_thread_id."""
        return await topics.create_topic(self.bot, chat, name)

    async def fetch_file(self, ref: str, url: str | None = None) -> bytes:
        """A file someone sent the bot ("telegram:<kind>:<file_id>"): getFile, then the
        download from {api_base}/file/bot<token>/<file_path> (Bot API, getFile)."""
        file_id = ref.split(":", 2)[-1]
        try:
            found = await self.bot.get_file(file_id)
            if found.file_path is None:
                raise FileUnavailable("Telegram gave no file_path")
            data = await self.bot.download_file(found.file_path, timeout=DOWNLOAD_TIMEOUT_S)
        except (AiogramError, ClientError, TimeoutError) as exc:
            raise FileUnavailable(file_trouble(exc)) from exc
        if data is None:
            raise FileUnavailable("nothing downloaded")
        return data.read()

    async def prepare_media(self, media: MediaFile) -> str | None:
        """Telegram has no upload-only call: None until a send has uploaded the file."""
        return self.files.ref(media)

    # Inbound ---------------------------------------------------------------------------

    async def start(self, on_event: EventHandler) -> None:
        """Polling: deleteWebhook, then our getUpdates loop. Webhook: setWebhook with the
        secret. Raises StartFailure (token, webhook or network) and may be called again."""
        self._on_event = on_event
        if self.settings.mode == "webhook":
            self._check_webhook_settings()
            await self._set_up(self._register_webhook, refused="webhook")
            return
        await self._set_up(self._prepare_polling, refused="setup")
        self._spawn(self.poller.run())

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        """401 without the right secret header, 400 for a body that is not an update."""
        if not authentic(headers, self.settings.webhook_secret):
            return WebhookAnswer(status=401, body="unauthorized")
        quick = quick_event(body, self.username)
        if quick is not None:
            return WebhookAnswer(events=(quick,))
        update = parse_update(body, self.bot)
        if update is None:
            return unreadable_answer(body)
        event = translate(update, self.username)
        query = callback_id(update)
        if query is not None:
            # The press is answered at once (it only stops the spinner); a retried webhook
            # answers again and that failure is only logged.
            self._spawn(self._answer(query))
        return WebhookAnswer(events=(event,) if event is not None else ())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.bot.session.close()

    # Internals -------------------------------------------------------------------------

    def _check_webhook_settings(self) -> None:
        if not self.settings.webhook_secret:
            raise ChannelError(
                "[telegram] mode = \"webhook\" needs webhook_secret (1-256 of A-Za-z0-9_-): "
                "without it anyone could post forged updates"
            )
        if not self.public_url:
            raise ChannelError(
                "[telegram] mode = \"webhook\" needs [server] public_url, the HTTPS origin "
                "where Telegram reaches this server"
            )

    async def _set_up(self, step: Callable[[], Awaitable[None]], refused: StartCause) -> None:
        """Run a set-up step; a failure is a StartFailure saying what to check."""
        try:
            await step()
        except (TelegramUnauthorizedError, TelegramNotFound) as exc:
            # 401 for a revoked token; 404 for a malformed one or a wrong api_base.
            raise StartFailure("token", exc.message) from exc
        except TelegramBadRequest as exc:
            raise StartFailure(refused, exc.message) from exc
        except AiogramError as exc:
            raise StartFailure("network", str(exc)) from exc

    async def _register_webhook(self) -> None:
        assert self.public_url is not None
        await self.bot.set_webhook(
            url=self.public_url + WEBHOOK_PATH, secret_token=self.settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False,
        )
        await self._learn_username()

    async def _prepare_polling(self) -> None:
        # getUpdates answers 409 while a webhook is set; pending updates are kept.
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self._learn_username()

    async def _learn_username(self) -> None:
        me = await self.bot.me()
        self.username = me.username

    async def _handle(self, update: Update) -> None:
        """One polled update: the event to the core, then the button's spinner stopped."""
        assert self._on_event is not None
        event = translate(update, self.username)
        if event is not None:
            await self._on_event(event)
        query = callback_id(update)
        if query is not None:
            await self._answer(query)

    async def _answer(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except AiogramError as exc:
            log.warning("telegram: answerCallbackQuery %s failed: %s", query_id, exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


_URL = re.compile(r"\b\w+://\S+")


def file_trouble(exc: Exception) -> str:
    """Why a download failed, without any URL: Telegram's file URLs hold the bot token
    ({api_base}/file/bot<token>/<path>), and the reason reaches the chat and the log."""
    if isinstance(exc, ClientResponseError):
        return f"HTTP {exc.status}"
    if isinstance(exc, TimeoutError):
        return "нет ответа"
    return _URL.sub("<адрес>", str(exc)) or exc.__class__.__name__
