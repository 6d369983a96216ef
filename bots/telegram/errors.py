"""aiogram's exceptions mapped to delivery statuses (PLATFORMS.md, Telegram section).

aiogram wraps every transport failure in TelegramNetworkError; its __cause__ tells whether
the request could have reached Telegram: a refused or timed-out connection could not, a
timeout after the request was written could (aiogram/client/session/aiohttp.py).
"""

from __future__ import annotations

import aiohttp
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from core.ports import ChannelError, DeliveryResult, Status

# 403s that mean "not allowed to write yet" rather than "gone": the member never pressed
# Start, or a group took the bot's right to post.
_NOT_ALLOWED = ("bot can't initiate conversation", "not enough rights")
# 400s that mean Telegram knows no such chat for this bot: a wrong id in our list (a typo,
# a made-up number), not a member who blocked the bot (that is a 403).
_WRONG_ID = ("chat not found", "peer_id_invalid", "user not found")
# A forum topic that was deleted (sendMessage with its message_thread_id).
_THREAD_GONE = ("message thread not found", "topic_deleted")
# A 400 that means blocked: Telegram answers an album (sendMediaGroup) to a member who
# blocked the bot with "Bad Request: USER_IS_BLOCKED" rather than the 403 of other sends.
_BLOCKED_400 = ("user_is_blocked",)
# A file_id Telegram no longer accepts (another bot's, or expired).
_STALE_FILE = ("wrong file identifier", "wrong remote file identifier", "file reference")


def result_for(recipient: str, exc: Exception) -> DeliveryResult:
    """The delivery status an aiogram exception means; adapter-wide faults raise ChannelError."""
    if isinstance(exc, TelegramUnauthorizedError | TelegramNotFound):
        raise ChannelError(f"Telegram refused the bot ({exc.message}): check [telegram] token "
                           f"and api_base") from exc
    if isinstance(exc, TelegramRetryAfter):
        return DeliveryResult(recipient, Status.RETRY_AFTER, retry_after=float(exc.retry_after),
                              error=exc.message)
    status = status_of(exc)
    message = exc.message if isinstance(exc, TelegramAPIError) else f"{type(exc).__name__}: {exc}"
    return DeliveryResult(recipient, status, error=message)


def status_of(exc: Exception) -> Status:
    """The status of a failed send other than 429 and 401."""
    if isinstance(exc, TelegramForbiddenError):
        text = exc.message.lower()
        return Status.UNSUBSCRIBED if any(m in text for m in _NOT_ALLOWED) else Status.BLOCKED
    if isinstance(exc, TelegramMigrateToChat | TelegramEntityTooLarge):
        return Status.INVALID  # the group has a new id / the file is over 50 MB
    if isinstance(exc, TelegramBadRequest):
        text = exc.message.lower()
        if any(m in text for m in _THREAD_GONE):
            return Status.THREAD_GONE
        if any(m in text for m in _BLOCKED_400):
            return Status.BLOCKED
        return Status.WRONG_ID if any(m in text for m in _WRONG_ID) else Status.INVALID
    if isinstance(exc, TelegramServerError):
        return Status.FAILED
    if isinstance(exc, TelegramNetworkError):
        return Status.FAILED if never_sent(exc) else Status.UNCERTAIN
    if isinstance(exc, ClientDecodeError):
        return Status.UNCERTAIN  # something answered, but not Telegram's JSON
    if isinstance(exc, TelegramAPIError):
        return Status.FAILED  # 409 and other codes Telegram does not document for sends
    return Status.UNCERTAIN


def never_sent(exc: TelegramNetworkError) -> bool:
    """True when no connection was made, so Telegram cannot have seen the request."""
    cause = exc.__cause__
    return isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def is_stale_file(exc: Exception) -> bool:
    return isinstance(exc, TelegramBadRequest) and any(
        m in exc.message.lower() for m in _STALE_FILE
    )
