"""Bot keyboards as VK checks them (dev.vk.com/ru/api/bots/development/keyboard): error 911.

Limits: a standard keyboard has at most 10 rows and 40 buttons, an inline one at most 6 rows
and 10 buttons; at most 5 buttons in a row; location, vkpay and open_app buttons take a whole
row; labels up to 40 characters; payloads are JSON of up to 255 characters.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.vk.errors import KEYBOARD, VkError
from sandbox.vk.knobs import VkKnobs

_KEYBOARD_KEYS = frozenset({"one_time", "inline", "buttons", "author_id"})
# Required action fields per type (messages/objects.json, messages_keyboard_button_action_*).
_ACTION_FIELDS = {
    "text": ("label",),
    "callback": ("label",),
    "open_link": ("label", "link"),
    "location": (),
    "vkpay": ("hash",),
    "open_app": ("label", "app_id", "owner_id"),
}
_WHOLE_ROW = frozenset({"location", "vkpay", "open_app"})
# The schema's enum lacks "secondary", which VK accepts and vk_api uses by default.
_COLORS = frozenset({"primary", "secondary", "negative", "positive", "default"})


def _bad(detail: str) -> VkError:
    return VkError(KEYBOARD, detail)


def parse_keyboard(raw: str, knobs: VkKnobs) -> dict[str, Any]:
    """The keyboard as a dict, or VkError(911) naming what is wrong with it."""
    try:
        keyboard = json.loads(raw)
    except ValueError:
        raise _bad("keyboard is not valid JSON") from None
    if not isinstance(keyboard, dict):
        raise _bad("keyboard should be an object")
    unknown = set(keyboard) - _KEYBOARD_KEYS
    if unknown:
        raise _bad(f"unknown field {sorted(unknown)[0]}")
    inline = keyboard.get("inline", False)
    one_time = keyboard.get("one_time", False)
    if not isinstance(inline, bool) or not isinstance(one_time, bool):
        raise _bad("inline and one_time should be booleans")
    if inline and one_time:
        raise _bad("one_time is not supported for inline keyboards")
    rows = keyboard.get("buttons")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("buttons should be an array of arrays")
    _check_size(rows, inline, knobs)
    for row in rows:
        _check_row(row, knobs)
    return keyboard


def _check_size(rows: list[list[Any]], inline: bool, knobs: VkKnobs) -> None:
    max_rows = knobs.inline_max_rows if inline else knobs.keyboard_max_rows
    max_buttons = knobs.inline_max_buttons if inline else knobs.keyboard_max_buttons
    if len(rows) > max_rows:
        raise _bad(f"too many rows: {len(rows)} (at most {max_rows})")
    total = sum(len(row) for row in rows)
    if total > max_buttons:
        raise _bad(f"too many buttons: {total} (at most {max_buttons})")


def _check_row(row: list[Any], knobs: VkKnobs) -> None:
    if not row:
        raise _bad("a row of buttons is empty")
    if len(row) > knobs.keyboard_max_row:
        raise _bad(f"too many buttons in a row: {len(row)} (at most {knobs.keyboard_max_row})")
    for button in row:
        kind = _check_button(button, knobs)
        if kind in _WHOLE_ROW and len(row) > 1:
            raise _bad(f"a {kind} button takes a whole row")


def _check_button(button: Any, knobs: VkKnobs) -> str:
    if not isinstance(button, dict) or not isinstance(button.get("action"), dict):
        raise _bad("a button needs an action object")
    action = button["action"]
    kind = action.get("type")
    if kind not in _ACTION_FIELDS:
        raise _bad(f"unknown button type {kind!r}")
    for field in _ACTION_FIELDS[kind]:
        if action.get(field) in (None, ""):
            raise _bad(f"a {kind} button needs {field}")
    label = action.get("label")
    if isinstance(label, str) and len(label) > knobs.button_label_max:
        raise _bad(f"label is longer than {knobs.button_label_max} characters")
    _check_payload(action.get("payload"), knobs)
    color = button.get("color")
    if color is not None and (kind not in ("text", "callback") or color not in _COLORS):
        raise _bad(f"bad color {color!r} for a {kind} button")
    return str(kind)


def _check_payload(payload: Any, knobs: VkKnobs) -> None:
    if payload is None:
        return
    if not isinstance(payload, str):
        raise _bad("payload should be a JSON string")
    if len(payload) > knobs.button_payload_max:
        raise _bad(f"payload is longer than {knobs.button_payload_max} characters")
    try:
        json.loads(payload)
    except ValueError:
        raise _bad("payload is not valid JSON") from None


def buttons(keyboard: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every button of a keyboard, row by row."""
    if keyboard is None:
        return []
    return [button for row in keyboard.get("buttons", []) for button in row]
