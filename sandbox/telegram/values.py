"""Scalar coercion of Bot API parameters, in Telegram's words where Telegram has them.

Form and multipart bodies carry every value as a string; JSON bodies carry native values.
Telegram reads garbage integers as 0 and unknown booleans as false; the sandbox refuses them
(stricter on purpose, so a typo in an adapter fails in tests).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ValidationError

_INTEGER = re.compile(r"^-?\d+$")
_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}

# How the Bot API server names a JSON parameter it cannot parse ("Can't parse X JSON object").
_JSON_LABELS = {
    "reply_markup": "reply keyboard markup",
    "link_preview_options": "link preview options",
    "reply_parameters": "reply parameters",
    "scope": "BotCommandScope",
    "entities": "entities",
    "caption_entities": "entities",
    "question_entities": "entities",
    "explanation_entities": "entities",
    "description_entities": "entities",
}


def to_integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be a valid Integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    raise ValidationError(f"{name} must be a valid Integer")


def to_float(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be a valid Number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError as exc:
        raise ValidationError(f"{name} must be a valid Number") from exc


def to_boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationError(f"{name} must be a Boolean")


def to_string(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValidationError(f"{name} must be of type String")


def to_chat_id(name: str, value: Any) -> int | str:
    """An Integer or an @username, as "Integer or String" chat identifiers are documented."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.match(text):
            return int(text)
        if _USERNAME.match(text):
            return text
    raise ValidationError(f"{name} must be a valid Integer or an @username")


def decode_json(name: str, value: Any) -> Any:
    """Lists and objects travel as JSON strings in form bodies (aiogram serialises them so)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        label = _JSON_LABELS.get(name, name)
        raise ValidationError(f"can't parse {label} JSON object") from exc


def utf16_length(text: str) -> int:
    """Length as Telegram counts message text: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
