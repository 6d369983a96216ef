"""Authenticating and parsing Telegram's webhook calls (PLATFORMS.md, Webhook)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from aiogram import Bot
from aiogram.types import Update
from pydantic import ValidationError

WEBHOOK_PATH = "/webhooks/telegram"
# setWebhook(secret_token=...) comes back in this header on every call.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively (aiohttp's headers are; a plain dict is not)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def authentic(headers: Mapping[str, str], secret: str | None) -> bool:
    """The secret header matches, compared in constant time; no secret configured, no entry."""
    given = header(headers, SECRET_HEADER)
    if not secret or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """The update in a webhook body, or None when the body is not one."""
    try:
        # pydantic parses the JSON itself: a quarter less time than json.loads + validate.
        return Update.model_validate_json(body, context={"bot": bot})
    except ValidationError:  # also malformed JSON, a non-object, invalid UTF-8
        return None
