"""One line of numbers per platform out of each emulator's own stats()."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Where each platform's emulator keeps the same meaning under its own name.
_KEYS = {
    "telegram": {
        "rate_limited": "rate_limited",
        "max_in_1s": "max_sends_in_1s",
        "uploads": "uploads_total",
    },
    "vk": {
        "rate_limited": "error_6_total",
        "max_in_1s": "max_requests_in_1s",
        "uploads": "uploads_total",
    },
    "viber": {
        "rate_limited": "status_12",
        "max_in_1s": "max_requests_in_1s",
        "uploads": "media_fetches",
    },
}


def summary(platform: str, stats: Mapping[str, Any]) -> dict[str, Any]:
    """accepted, rate_limited (429 / error 6 / status 12), violations, max_in_1s, uploads."""
    keys = _KEYS.get(platform, {})
    return {
        "accepted": stats.get("accepted_messages_total", 0),
        "requests": stats.get("requests_total", 0),
        "rate_limited": stats.get(keys.get("rate_limited", "rate_limited"), 0),
        "violations": stats.get("violations", 0),
        "max_in_1s": stats.get(keys.get("max_in_1s", "max_in_1s"), 0),
        "uploads": stats.get(keys.get("uploads", "uploads_total"), 0),
        "validation_errors": stats.get("validation_errors", 0),
    }
