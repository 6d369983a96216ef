"""The Telegram channel: aiogram 3.31 against `[telegram] api_base` (Telegram or the sandbox)."""

from .capabilities import telegram_capabilities
from .channel import TelegramChannel

__all__ = ["TelegramChannel", "telegram_capabilities"]
