"""Settings of the Telegram emulator: the platform's limits (real defaults) and fault knobs."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class TelegramKnobs:
    """Limits default to Telegram's published numbers (core.telegram.org/bots/faq)."""

    seed: int = 0
    # Added to every answer, success or error.
    latency_s: float = 0.0
    # Random faults, applied to message sends only (getUpdates and friends stay reliable).
    p_429: float = 0.0
    p_5xx: float = 0.0
    p_timeout: float = 0.0
    hang_s: float = 30.0
    random_retry_after_s: int = 1
    # "No more than 30 messages per second" to different chats, per bot.
    bot_ceiling: int = 30
    bot_window_s: float = 1.0
    # allow_paid_broadcast=True lifts the bot ceiling to 1000 messages per second.
    paid_ceiling: int = 1000
    # "Avoid sending more than one message per second" in a single chat.
    per_chat_per_s: int = 1
    chat_window_s: float = 1.0
    # "Bots are not able to send more than 20 messages per minute to the same group."
    per_group_per_min: int = 20
    group_window_s: float = 60.0
    # Webhook delivery: first retry after webhook_backoff_s, doubling up to the maximum.
    webhook_backoff_s: float = 1.0
    webhook_backoff_max_s: float = 60.0
    webhook_timeout_s: float = 10.0
    # Telegram wants HTTPS on ports 443/80/88/8443; the sandbox delivers to loopback receivers.
    webhook_require_https: bool = False
    # getUpdates timeout is clamped like the Bot API server's LONG_POLL_MAX_TIMEOUT.
    long_poll_max_s: float = 50.0
    # Files: 50 MB upload, 10 MB photo, 20 MB download through getFile.
    max_upload_bytes: int = 50 * MIB
    max_photo_bytes: int = 10 * MIB
    max_download_bytes: int = 20 * MIB
    url_fetch_timeout_s: float = 5.0
