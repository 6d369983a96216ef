"""What Telegram allows a bot (PLATFORMS.md, core.telegram.org/bots/faq), without the network."""

from __future__ import annotations

from core.config import Settings
from core.ports import Capabilities

# "No more than 30 messages per second" to different chats; above it only paid broadcasts.
FREE_CEILING = 30
MIB = 1024 * 1024


def telegram_capabilities(settings: Settings) -> Capabilities:
    """Telegram's limits; the bot ceiling is `[sending] telegram_ceiling` (1000 when paid)."""
    return Capabilities(
        max_recipients_per_call=1,
        calls_per_second=float(settings.sending.telegram_ceiling),
        per_chat_interval_s=1.0,
        per_group_interval_s=3.0,
        native_polls=True,
        delivery_receipts=False,
        read_receipts=False,
        group_chats=True,
        max_text_len=4096,
        max_caption_len=1024,
        media_by_url_only=False,
        text_format="html",
        idempotent_sends=False,
        # sendDocument: "files of any type of up to 50 MB" (specs/telegram/api.json,
        # PLATFORMS.md); sendPhoto takes 10 MB, a bigger image goes as a document
        # (bots/telegram/media.as_photo), so images have the same 50 MB limit.
        max_file_bytes=50 * MIB,
        max_image_bytes=50 * MIB,
        edits_messages=True,  # editMessageText on the bot's own messages
        forum_topics=True,  # forum supergroups: createForumTopic, message_thread_id
    )


def paid_broadcast(settings: Settings) -> bool:
    """Sends above 30/s need allow_paid_broadcast=True (0.1 Star per message over 30/s)."""
    return settings.sending.telegram_ceiling > FREE_CEILING
