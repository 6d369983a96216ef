"""Validation of the keyboard object attached to a message (viber.github.io/docs/tools/keyboards).

Failures read like Viber's own schema answers: "keyboard is not valid. [...]" with status 3.
Unknown keys, which the platform ignores, are refused here so our mistakes show.
"""

from __future__ import annotations

from typing import Any

from .errors import Refusal, bad_data

KEYBOARD_KEYS = frozenset(
    {
        "Type",
        "Buttons",
        "BgColor",
        "DefaultHeight",
        "CustomDefaultHeight",
        "HeightScale",
        "ButtonsGroupColumns",
        "ButtonsGroupRows",
        "InputFieldState",
        "FavoritesMetadata",
    }
)
BUTTON_KEYS = frozenset(
    {
        "Columns",
        "Rows",
        "BgColor",
        "Silent",
        "BgMediaType",
        "BgMedia",
        "BgMediaScaleType",
        "ImageScaleType",
        "BgLoop",
        "ActionType",
        "ActionBody",
        "Image",
        "Text",
        "TextVAlign",
        "TextHAlign",
        "TextPaddings",
        "TextOpacity",
        "TextSize",
        "OpenURLType",
        "OpenURLMediaType",
        "TextBgGradientColor",
        "TextShouldFit",
        "InternalBrowser",
        "Map",
        "Frame",
        "MediaPlayer",
    }
)
ACTION_TYPES = ("reply", "open-url", "location-picker", "share-phone", "none")
MAX_BUTTON_TEXT = 250
MAX_ACTION_BODY = 4096
INPUT_FIELD_STATES = ("regular", "minimized", "hidden")


def _invalid(detail: str) -> Refusal:
    return bad_data(f"keyboard is not valid. [{detail}]")


def validate_keyboard(keyboard: Any, max_buttons: int) -> None:
    """Raise a status-3 Refusal unless `keyboard` is a well-formed Viber keyboard."""
    if not isinstance(keyboard, dict):
        raise _invalid("instance is not an object")
    unknown = sorted(set(keyboard) - KEYBOARD_KEYS)
    if unknown:
        raise _invalid(f"object instance has properties which are not allowed: {unknown}")
    missing = [key for key in ("Type", "Buttons") if key not in keyboard]
    if missing:
        names = ",".join(f'"{key}"' for key in missing)
        raise _invalid(f"object has missing required properties ([{names}])")
    if keyboard["Type"] != "keyboard":
        raise _invalid(f'instance value ("{keyboard["Type"]}") not found in enum ["keyboard"]')
    state = keyboard.get("InputFieldState", "regular")
    if state not in INPUT_FIELD_STATES:
        raise _invalid(f'instance value ("{state}") not found in enum {list(INPUT_FIELD_STATES)}')
    buttons = keyboard["Buttons"]
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= max_buttons:
        raise _invalid(f"Buttons must be an array of 1 to {max_buttons} buttons")
    for index, button in enumerate(buttons):
        _validate_button(index, button)


def _validate_button(index: int, button: Any) -> None:
    where = f"Buttons[{index}]"
    if not isinstance(button, dict):
        raise _invalid(f"{where}: instance is not an object")
    unknown = sorted(set(button) - BUTTON_KEYS)
    if unknown:
        raise _invalid(f"{where}: object instance has properties which are not allowed: {unknown}")
    if "ActionBody" not in button:
        raise _invalid(f'{where}: object has missing required properties (["ActionBody"])')
    action_type = button.get("ActionType", "reply")
    if action_type not in ACTION_TYPES:
        raise _invalid(
            f'{where}: instance value ("{action_type}") not found in enum {list(ACTION_TYPES)}'
        )
    body = button["ActionBody"]
    if not isinstance(body, str) or len(body) > MAX_ACTION_BODY:
        raise _invalid(f"{where}: ActionBody must be a string of at most {MAX_ACTION_BODY}")
    text = button.get("Text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_BUTTON_TEXT):
        raise _invalid(f"{where}: Text must be a string of at most {MAX_BUTTON_TEXT}")
    _check_span(where, button, "Columns", 6)
    _check_span(where, button, "Rows", 2)


def _check_span(where: str, button: dict[str, Any], key: str, most: int) -> None:
    value = button.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise _invalid(f"{where}: {key} must be an integer from 1 to {most}, got {value!r}")
