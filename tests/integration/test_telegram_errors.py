"""aiogram exceptions the emulator cannot provoke, built as aiogram builds them, mapped."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
)
from aiogram.methods import SendMessage

from bots.telegram.errors import result_for
from core.ports import ChannelError, Status

METHOD = SendMessage(chat_id=-100123, text="Новости")


def network_error(cause: BaseException, message: str) -> TelegramNetworkError:
    """What aiogram's AiohttpSession.make_request raises, `from` the aiohttp error."""
    error = TelegramNetworkError(method=METHOD, message=message)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        # The connection itself timed out: nothing reached Telegram.
        (network_error(aiohttp.ConnectionTimeoutError("Connection timeout"),
                       "Request timeout error"), Status.FAILED),
        # The answer did not come in time after the request was written.
        (network_error(TimeoutError(), "Request timeout error"), Status.UNCERTAIN),
        # The server closed the connection mid-request: it may have been processed.
        (network_error(aiohttp.ServerDisconnectedError(), "ServerDisconnectedError"),
         Status.UNCERTAIN),
        (TelegramMigrateToChat(method=METHOD, message="Bad Request: group chat was upgraded "
                               "to a supergroup chat", migrate_to_chat_id=-100999), Status.INVALID),
        (TelegramForbiddenError(method=METHOD, message="Forbidden: bot was kicked from the "
                                "group chat"), Status.BLOCKED),
        (TelegramForbiddenError(method=METHOD, message="Forbidden: not enough rights to send "
                                "text messages to the chat"), Status.UNSUBSCRIBED),
        (TelegramConflictError(method=METHOD, message="Conflict"), Status.FAILED),
        # An album to a member who blocked the bot: a 400, not the 403 of other sends.
        (TelegramBadRequest(method=METHOD, message="Bad Request: USER_IS_BLOCKED"),
         Status.BLOCKED),
        (ClientDecodeError("Failed to decode object", ValueError("<html>"), "<html>"),
         Status.UNCERTAIN),
    ],
)
def test_statuses_of_failures_the_emulator_cannot_make(exc: Exception, status: Status) -> None:
    result = result_for("-100123", exc)
    assert result.status is status and result.recipient == "-100123" and result.error


def test_a_wrong_api_base_is_an_adapter_wide_fault() -> None:
    with pytest.raises(ChannelError, match="api_base"):
        result_for("1", TelegramNotFound(method=METHOD, message="Not Found"))
