"""Reply markup checks beyond the spec's shapes, worded as the Bot API server words them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import ValidationError

# An inline button needs exactly one action besides its text (Client::get_inline_keyboard_button).
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_reply_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The markup a sent Message shows: inline keyboards only (other kinds act on the client)."""
    if markup is None:
        return None
    if "inline_keyboard" not in markup:
        _check_reply_keyboard(markup)
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            _check_inline_button(button)
    return markup if markup["inline_keyboard"] else None


def _check_inline_button(button: dict[str, Any]) -> None:
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise ValidationError(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        # Stricter than Telegram, which silently takes the first action it reads.
        raise ValidationError(
            "can't parse inline keyboard button: a button must have exactly one action, "
            f"found {', '.join(actions)}"
        )
    if "url" in button and not valid_url(button["url"]):
        raise ValidationError(
            f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
        )


def _check_reply_keyboard(markup: dict[str, Any]) -> None:
    for row in markup.get("keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ValidationError(
                    'can\'t parse keyboard button: Field "text" must be non-empty'
                )


def valid_url(url: str) -> bool:
    """HTTP(S) and tg:// links; a bare domain is read as http:// (as TDLib's check_link does)."""
    if url.startswith("tg://"):
        return len(url) > len("tg://")
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https"):
        return False
    host = parts.hostname or ""
    return "." in host or host == "localhost"
