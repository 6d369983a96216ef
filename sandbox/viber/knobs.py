"""Settings of the Viber emulator: faults, limits (real defaults) and account switches."""

from __future__ import annotations

from dataclasses import dataclass

# The six event types a bot may filter with set_webhook (developers.viber.com, set_webhook
# "event_types"); message, subscribed and unsubscribed are always sent regardless.
FILTERABLE_EVENTS = (
    "delivered",
    "seen",
    "failed",
    "subscribed",
    "unsubscribed",
    "conversation_started",
)


@dataclass(frozen=True)
class ViberKnobs:
    """Everything a test, a benchmark or the training ground may turn on the emulator."""

    seed: int = 0
    auth_token: str = "sandbox-viber-token"
    account_name: str = "Профсоюз (песочница)"

    # Faults. Viber has no HTTP 429: p_429 answers status 12 tooManyRequests instead.
    latency_s: float = 0.0
    p_429: float = 0.0
    p_5xx: float = 0.0
    p_timeout: float = 0.0
    hang_s: float = 30.0
    # Viber announces no retry_after; an injected status 12 opens a window of this length,
    # inside which further requests count as violations (see README of the package).
    fault_retry_window_s: float = 1.0

    # Limits, real defaults (developers.viber.com REST Bot API, broadcast guide).
    rate_limit: int = 500
    rate_window_s: float = 10.0
    broadcast_max: int = 300
    max_body_bytes: int = 30 * 1024
    max_text_len: int = 7000
    max_picture_text_len: int = 512
    max_tracking_data_len: int = 4000
    max_sender_name_len: int = 28
    max_file_bytes: int = 50 * 1024 * 1024
    max_picture_bytes: int = 1024 * 1024
    max_file_name_len: int = 256
    max_video_duration_s: int = 180
    max_url_len: int = 2000
    keyboard_max_buttons: int = 24
    # send_message: "up to 100 messages to a user within an hour without receiving a reply";
    # None switches the cap off.
    per_user_cap: int | None = 100
    per_user_window_s: float = 3600.0
    # get_user_details "can be sent twice during a 12 hours period for each user ID".
    user_details_cap: int = 2
    user_details_window_s: float = 12 * 3600.0
    get_online_max_ids: int = 100

    # Account switches.
    broadcast_approved: bool = True
    broadcast_refusal_status: int = 20  # 19 cannotSendBroadcast or 20 broadcastNotAllowed
    account_blocked: bool = False
    # Bot-initiated (out of session) messages: a non-billable bot gets status 23 after
    # free_messages of them, a billable one status 24 once balance_messages are spent.
    free_messages: int | None = None
    balance_messages: int | None = None
    session_s: float = 24 * 3600.0
    # The real webhook must be HTTPS with a trusted certificate; loopback tests use HTTP.
    require_https_webhook: bool = False

    # Callbacks and media fetches.
    webhook_timeout_s: float = 5.0
    callback_retry_delays_s: tuple[float, ...] = (0.05, 0.2, 0.5)
    # Callbacks of one user stay in order; this many users' callbacks go out in parallel.
    callback_workers: int = 4
    media_timeout_s: float = 3.0
    fetch_media: bool = True

    def __post_init__(self) -> None:
        if self.broadcast_refusal_status not in (19, 20):
            raise ValueError("broadcast_refusal_status must be 19 or 20")
        for name in ("p_429", "p_5xx", "p_timeout"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, got {value}")
