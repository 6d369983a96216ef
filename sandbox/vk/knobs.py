"""Configuration of the VK emulator: the platform's limits with their real defaults, faults."""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "5.199"


@dataclass(frozen=True)
class VkKnobs:
    """Everything tunable about the emulated VK; defaults are VK's own (PLATFORMS.md)."""

    seed: int = 0
    # Faults. Each call draws once; a fault never hides a limit or a validation error.
    latency_s: float = 0.0  # added to every API answer
    p_flood: float = 0.0  # error 9 "Flood control" on sending methods
    p_429: float = 0.0  # a spurious error 6 (VK's rate error) on any method
    p_5xx: float = 0.0  # error 10 "Internal server error" (or HTTP 502, see http_5xx_share)
    http_5xx_share: float = 0.0  # part of the p_5xx faults answered as a bare HTTP 502
    p_timeout: float = 0.0  # the call takes effect, then the answer hangs for hang_s
    hang_s: float = 30.0

    # The community and the tokens the emulator knows.
    group_id: int = 200_000_001
    group_name: str = "Профсоюз — песочница"
    group_screen_name: str = "rupor_sandbox"
    group_token: str = "vk-sandbox-group-token"
    admin_user_id: int = 1
    admin_user_token: str = "vk-sandbox-admin-token"
    api_version: str = API_VERSION

    # Request rate: "any 1 s window", per token (dev.vk.com/ru/api/api-requests).
    group_rps: int = 20
    user_rps: int = 3
    rate_window_s: float = 1.0

    # messages.send
    message_max_chars: int = 9000
    peer_ids_max: int = 100
    max_attachments: int = 10
    random_id_ttl_s: float = 3600.0  # "the last hour ..."
    random_id_depth: int = 100  # "... but no more than the last 100 messages" of the dialog

    # Keyboards (dev.vk.com/ru/api/bots/development/keyboard).
    keyboard_max_row: int = 5
    keyboard_max_rows: int = 10
    keyboard_max_buttons: int = 40
    inline_max_rows: int = 6
    inline_max_buttons: int = 10
    button_label_max: int = 40
    button_payload_max: int = 255

    # Bots Long Poll. Preconfigured = enabled for our six event types, as an admin would set
    # it up by hand; False = off until groups.setLongPollSettings, as a new community is.
    lp_preconfigured: bool = True
    lp_history: int = 1000  # events kept; an older ts gets {"failed": 1}
    lp_key_ttl_s: float = 3600.0  # an older key gets {"failed": 2}
    lp_max_wait_s: float = 90.0

    # Callback API
    callback_confirmation: str = "5f1e2d3c"  # groups.getCallbackConfirmationCode
    callback_attempts: int = 5  # the first try plus retries carrying X-Retry-Counter
    callback_backoff_s: float = 1.0
    callback_timeout_s: float = 5.0

    # Uploads
    max_upload_bytes: int = 200 * 1024 * 1024
