"""One message part or poll to one chat through aiogram, and what Telegram answered."""

from __future__ import annotations

import logging
import math
import re

from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.methods import SendMessage
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputPollOption,
    Message,
)

from core.campaigns.content import render_html
from core.ports import (
    Button,
    DeliveryResult,
    MessageEdit,
    Outbound,
    OutboundPoll,
    PollSent,
    Status,
)

from .errors import is_stale_file, result_for
from .lean import LeanSession, PreparedText
from .media import LeafletFiles, as_photo, file_id_of

log = logging.getLogger("rupor.telegram")

# InlineKeyboardButton.callback_data: "Data to be sent in a callback query, 1-64 bytes".
MAX_CALLBACK_BYTES = 64
# An upload may take longer than an ordinary call: allow for a slow uplink.
UPLOAD_BYTES_PER_S = 256 * 1024
_NUMERIC = re.compile(r"^-?\d+$")
# editMessageText with what the message already shows: the edit is there (a re-sent reply).
_NOT_MODIFIED = "message is not modified"
_CLOSED_ALREADY = "poll has already been closed"
# Text parts kept encoded: a run's parts plus recent replies; older ones are encoded again.
PREPARED_PARTS = 64


class BadContent(ValueError):
    """A message Telegram would refuse whatever we do: INVALID without a call."""


def chat_ref(recipient: str) -> int | str:
    """Contacts are numeric chat ids; an @username stays a string (public groups)."""
    return int(recipient) if _NUMERIC.match(recipient) else recipient


def thread_of(msg: Outbound) -> int | None:
    """The forum topic's message_thread_id (None leaves the parameter out)."""
    if msg.thread is None or not _NUMERIC.match(msg.thread):
        return None
    return int(msg.thread)


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Link buttons and callback buttons (callback_data = the payload)."""
    buttons = [[_button(button) for button in row] for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None


def _button(button: Button) -> InlineKeyboardButton:
    if button.url:
        return InlineKeyboardButton(text=button.text, url=button.url)
    if button.payload:
        size = len(button.payload.encode("utf-8"))
        if size > MAX_CALLBACK_BYTES:
            raise BadContent(
                f"button {button.text!r}: payload is {size} bytes, Telegram's callback_data "
                f"holds at most {MAX_CALLBACK_BYTES}"
            )
        return InlineKeyboardButton(text=button.text, callback_data=button.payload)
    raise BadContent(f"button {button.text!r} has neither a url nor a payload")


class Outbox:
    """Makes exactly one Telegram call per send (two only to replace a refused file_id)."""

    def __init__(self, bot: Bot, files: LeafletFiles, *, paid: bool, http_timeout_s: float
                 ) -> None:
        self.bot = bot
        self.files = files
        # None leaves the parameter out of the request: only paid broadcasts send it.
        self.paid: bool | None = True if paid else None
        self.http_timeout_s = http_timeout_s
        # id(part) -> (part, its encoding); the part is kept so that its id is not reused.
        self._prepared: dict[int, tuple[Outbound, PreparedText]] = {}

    async def send(self, recipient: str, msg: Outbound) -> DeliveryResult:
        """Send one part to one chat; every failure becomes a status (ChannelError excepted)."""
        try:
            if msg.media is None:
                message_id, ref = await self._text(chat_ref(recipient), msg), None
            else:
                message, ref = await self._media(chat_ref(recipient), msg, keyboard(msg.buttons))
                message_id = message.message_id
        except BadContent as exc:
            return DeliveryResult(recipient, Status.INVALID, error=str(exc))
        except AiogramError as exc:
            return result_for(recipient, exc)
        return DeliveryResult(recipient, Status.SENT, str(message_id), media_ref=ref)

    async def send_poll(self, recipient: str, poll: OutboundPoll) -> PollSent:
        """A native poll; non-anonymous, or Telegram sends no poll_answer updates."""
        # Plain text: aiogram would send the bot's default parse_mode (HTML) for both.
        options: list[InputPollOption | str] = [
            InputPollOption(text=option, text_parse_mode=None) for option in poll.options
        ]
        try:
            message = await self.bot.send_poll(
                chat_ref(recipient), poll.question, options, question_parse_mode=None,
                is_anonymous=False, allows_multiple_answers=poll.allows_multiple,
                allow_paid_broadcast=self.paid,
            )
        except AiogramError as exc:
            return PollSent(recipient, result_for(recipient, exc))
        sent = DeliveryResult(recipient, Status.SENT, str(message.message_id))
        return PollSent(recipient, sent, message.poll.id if message.poll else None)

    async def edit(self, recipient: str, change: MessageEdit) -> DeliveryResult:
        """editMessageText: new text; the inline keyboard replaced, or removed when the
        change has no buttons (an edit without reply_markup drops it)."""
        if change.stops_poll:
            return await self.stop_poll(recipient, change.message_id)
        try:
            text = render_html(change.text)
            if not text.strip() or not _NUMERIC.match(change.message_id):
                raise BadContent(f"nothing to edit message {change.message_id!r} into")
            await self.bot.edit_message_text(
                text=text, chat_id=chat_ref(recipient), message_id=int(change.message_id),
                reply_markup=keyboard(change.buttons),
            )
        except BadContent as exc:
            return DeliveryResult(recipient, Status.INVALID, error=str(exc))
        except AiogramError as exc:
            if _NOT_MODIFIED not in str(exc).lower():
                return result_for(recipient, exc)
        return DeliveryResult(recipient, Status.SENT, change.message_id)

    async def stop_poll(self, recipient: str, message_id: str) -> DeliveryResult:
        """stopPoll at the deadline; a poll closed already is done (Bot API: "poll has
        already been closed"), so a repeat after a lost answer is harmless."""
        if not _NUMERIC.match(message_id):
            return DeliveryResult(recipient, Status.INVALID, error=f"no poll {message_id!r}")
        try:
            await self.bot.stop_poll(chat_id=chat_ref(recipient), message_id=int(message_id))
        except AiogramError as exc:
            if _CLOSED_ALREADY not in str(exc).lower():
                return result_for(recipient, exc)
        return DeliveryResult(recipient, Status.SENT, message_id)

    async def _text(self, chat: int | str, msg: Outbound) -> int:
        """sendMessage through the lean path: the part is rendered and encoded once."""
        sent = await self.bot(self.prepared(msg).to(chat))
        return sent.message_id

    def prepared(self, msg: Outbound) -> PreparedText:
        """The text part as aiogram's sendMessage request, encoded (BadContent if empty)."""
        found = self._prepared.get(id(msg))
        if found is not None and found[0] is msg:
            return found[1]
        text = render_html(msg.text)
        if not text.strip():
            raise BadContent("the message has neither text nor a file")
        request = SendMessage(chat_id=0, text=text, reply_markup=keyboard(msg.buttons),
                              allow_paid_broadcast=self.paid, message_thread_id=thread_of(msg))
        assert isinstance(self.bot.session, LeanSession)
        prepared = self.bot.session.prepare_text(self.bot, request)
        if len(self._prepared) >= PREPARED_PARTS:
            del self._prepared[next(iter(self._prepared))]
        self._prepared[id(msg)] = (msg, prepared)
        return prepared

    async def _media(self, chat: int | str, msg: Outbound, markup: InlineKeyboardMarkup | None
                     ) -> tuple[Message, str | None]:
        """Send by file_id when there is one; upload (once, under the file's lock) otherwise."""
        assert msg.media is not None
        ref = self.files.ref(msg.media)
        if ref is not None:
            try:
                return await self._file(chat, msg, ref, markup), None
            except AiogramError as exc:
                if not is_stale_file(exc):
                    raise
                log.warning("telegram: file_id of %s refused (%s); uploading it again",
                            msg.media.filename, exc)
                self.files.refuse(msg.media, ref)
        return await self._upload(chat, msg, markup, refused=ref)

    async def _upload(self, chat: int | str, msg: Outbound, markup: InlineKeyboardMarkup | None,
                      refused: str | None) -> tuple[Message, str | None]:
        media = msg.media
        assert media is not None
        async with self.files.lock(media):
            ref = self.files.ref(media)  # another send may have uploaded it while we waited
            if ref is not None and ref != refused:
                return await self._file(chat, msg, ref, markup), None
            if media.content is None:
                raise BadContent(f"{media.filename}: no file_id yet and no content to upload")
            upload = BufferedInputFile(media.content, filename=media.filename)
            message = await self._file(chat, msg, upload, markup)
            new_ref = file_id_of(message)
            if new_ref is not None:
                self.files.remember(media, new_ref)
            return message, new_ref

    async def _file(self, chat: int | str, msg: Outbound, source: str | InputFile,
                    markup: InlineKeyboardMarkup | None) -> Message:
        media = msg.media
        assert media is not None
        caption = None if msg.caption_separate else (render_html(msg.text) or None)
        timeout = self._upload_timeout(media.size) if isinstance(source, InputFile) else None
        if as_photo(media):
            return await self.bot.send_photo(
                chat, source, caption=caption, reply_markup=markup,
                allow_paid_broadcast=self.paid, request_timeout=timeout,
                message_thread_id=thread_of(msg),
            )
        return await self.bot.send_document(
            chat, source, caption=caption, reply_markup=markup,
            allow_paid_broadcast=self.paid, request_timeout=timeout,
            message_thread_id=thread_of(msg),
        )

    def _upload_timeout(self, size: int) -> int | None:
        """A longer deadline for big uploads; None keeps the session's own timeout."""
        needed = self.http_timeout_s + size / UPLOAD_BYTES_PER_S
        return math.ceil(needed) if needed > self.http_timeout_s + 1 else None
