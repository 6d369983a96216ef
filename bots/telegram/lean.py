"""A lean sendMessage for broadcasts: still aiogram's Bot, session and error mapping, but the
request body is encoded once per message part and the answer is read for its message_id only.

At 1,000 messages/s (paid broadcasts) aiogram's general path costs more CPU than a core has
per message: it validates a SendMessage, dumps and form-encodes it, and validates the whole
`Message` answer (with its chat, sender and entities) for every recipient. A broadcast sends
the same part to many chats, so everything but `chat_id` is the same bytes every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, SendMessage
from aiogram.methods.base import TelegramMethod, TelegramType
from aiogram.types import Message
from aiohttp import ClientError, ClientTimeout
from aiohttp.payload import BytesPayload
from pydantic import BaseModel, ConfigDict, PrivateAttr
from yarl import URL

if TYPE_CHECKING:
    from aiogram import Bot

# aiohttp's FormData sends a urlencoded body (aiogram's choice when no file is attached).
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class SentMessage(BaseModel):
    """What the adapter reads from a sent text message: its id (unique per chat)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: int


# pydantic caches parametrised generics only weakly (pydantic/_internal/_generics.py,
# _GENERIC_TYPES_CACHE is a WeakValueDictionary), and aiogram's check_response asks for
# Response[method.__returning__] on every answer: once the garbage collector has taken the
# class, the next answer rebuilds its schema (about 17 ms for Message). Holding them here
# keeps one class each for the process.
ANSWERS = (Response[SentMessage], Response[Message])


class LeanSendMessage(TelegramMethod[SentMessage]):
    """sendMessage of a prepared part to one chat; only LeanSession knows how to send it."""

    __returning__ = SentMessage
    __api_method__ = "sendMessage"

    chat_id: int | str
    _encoded: bytes = PrivateAttr(b"")  # every field but chat_id, urlencoded

    def body(self) -> bytes:
        """The request body: chat_id first, as aiogram's SendMessage dumps it, so the bytes
        are the same as aiogram's FormData would send."""
        return urlencode({"chat_id": self.chat_id}).encode() + b"&" + self._encoded


class PreparedText:
    """One text part encoded for every recipient: `to(chat)` is the call for that chat."""

    __slots__ = ("request", "_template")

    def __init__(self, request: SendMessage, encoded: bytes) -> None:
        self.request = request  # the SendMessage this part stands for (chat_id not used)
        template = LeanSendMessage.model_construct(chat_id=0)
        template._encoded = encoded
        self._template = template

    def to(self, chat: int | str) -> LeanSendMessage:
        # model_copy is a shallow copy: several times cheaper than constructing the model.
        return self._template.model_copy(update={"chat_id": chat})


class LeanSession(AiohttpSession):
    """aiogram's aiohttp session; a LeanSendMessage goes out as its pre-encoded body, every other
    method exactly as aiogram sends it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._urls: dict[tuple[str, str], URL] = {}
        self._timeouts: dict[float, ClientTimeout] = {}

    def prepare_text(self, bot: Bot, request: SendMessage) -> PreparedText:
        """Encode every field but chat_id once, as build_form_data would (defaults resolved
        from the bot, nested objects as JSON, empty values left out)."""
        files: dict[str, Any] = {}
        fields = []
        for key, value in request.model_dump(warnings=False).items():
            if key == "chat_id":
                continue
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                fields.append((key, prepared))
        if files:
            raise ValueError("a prepared text part cannot carry a file")
        return PreparedText(request, urlencode(fields, doseq=True).encode())

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        if not isinstance(method, LeanSendMessage):
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        body = BytesPayload(method.body(), content_type=FORM_CONTENT_TYPE)
        # aiogram's own make_request, but with the URL and timeout objects built once.
        try:
            async with session.post(
                self._url(bot, method), data=body,
                timeout=self._timeout(self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status,
                                       content=raw_result)
        return cast(TelegramType, response.result)

    def _url(self, bot: Bot, method: TelegramMethod[Any]) -> URL:
        key = (bot.token, method.__api_method__)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = URL(self.api.api_url(token=bot.token,
                                                         method=method.__api_method__))
        return url

    def _timeout(self, seconds: float) -> ClientTimeout:
        found = self._timeouts.get(seconds)
        if found is None:
            found = self._timeouts[seconds] = ClientTimeout(total=seconds)
        return found
