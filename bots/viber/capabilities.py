"""What Viber can carry and how fast (developers.viber.com REST Bot API, broadcast guide)."""

from __future__ import annotations

from core.config import Settings
from core.ports import Capabilities

# broadcast_message: "broadcast_list" of at most 300 receivers; 500 requests per 10 s.
BROADCAST_MAX = 300
# Viber's only documented rate limit is 500 requests per 10 s (WINDOW_CALLS/WINDOW_S); the
# per-second bound only caps bursts. At exactly the average (50) every second would pay
# one answer time (the pacer starts call k + N a window after the ANSWER to call k), so
# the burst bound sits above it and the 10-second window sets the sustained rate.
CALLS_PER_SECOND = 60.0
WINDOW_CALLS = 500
WINDOW_S = 10.0
MAX_TEXT_LEN = 7000
# Keyboards hold at most 24 buttons (viber.github.io/docs/tools/keyboards).
MAX_BUTTONS = 24
# File messages up to 50 MB (developers.viber.com, REST Bot API "file message"; the
# sandbox's max_file_bytes); a picture above 1 MB is sent as a file
# (bots/viber/outbound.py), so images have the same limit.
MAX_FILE_BYTES = 50 * 1024 * 1024

CAPABILITIES = Capabilities(
    max_recipients_per_call=BROADCAST_MAX,
    calls_per_second=CALLS_PER_SECOND,
    per_chat_interval_s=0.0,
    per_group_interval_s=0.0,
    native_polls=False,
    delivery_receipts=True,
    read_receipts=True,
    group_chats=False,
    max_text_len=MAX_TEXT_LEN,
    # A file message has no caption: the core sends the text as the next part.
    max_caption_len=0,
    media_by_url_only=True,
    text_format="plain",
    idempotent_sends=False,
    window_calls=WINDOW_CALLS,
    window_s=WINDOW_S,
    max_file_bytes=MAX_FILE_BYTES,
    max_image_bytes=MAX_FILE_BYTES,
)


def viber_capabilities(settings: Settings) -> Capabilities:
    """Viber's limits; the same for every account (no network)."""
    return CAPABILITIES
