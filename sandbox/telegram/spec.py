"""The Bot API spec (specs/telegram/api.json) as lookup tables, loaded lazily on first use.

Besides the spec file, two explicit allow-lists: fields of Bot API 10.2/10.3 that aiogram 3.31
sends and the 10.1 spec lacks, and legacy fields Telegram removed from its documentation but
still honours (aiogram 3.31 still sends them when a caller sets them).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "specs" / "telegram" / "api.json"

_RANGE = re.compile(r"\b(\d+)-(\d+) (characters|bytes)\b")
_ITEMS = re.compile(r"\blist of (\d+)-(\d+) ")
_AT_MOST_ITEMS = re.compile(r"\bAt most (\d+) \w+ can be specified")


@dataclass(frozen=True)
class Limit:
    """A length limit found in a field description ("1-4096 characters after entities parsing")."""

    low: int
    high: int
    unit: str  # "characters", "bytes" or "items"
    after_entities: bool = False


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool = False
    description: str = ""

    @functools.cached_property
    def limit(self) -> Limit | None:
        return limit_from_description(self.description)


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]


def limit_from_description(description: str) -> Limit | None:
    """The first length limit stated in a description, if any."""
    found = _RANGE.search(description)
    if found:
        after = "after entit" in description[found.end() : found.end() + 30]
        return Limit(int(found[1]), int(found[2]), found[3], after)
    found = _ITEMS.search(description)
    if found:
        return Limit(int(found[1]), int(found[2]), "items")
    found = _AT_MOST_ITEMS.search(description)
    if found:
        return Limit(0, int(found[1]), "items")
    return None


def _field(name: str, kind: str, required: bool = False, description: str = "") -> FieldSpec:
    return FieldSpec(name, (kind,), required, description)


# Bot API 10.2/10.3 (aiogram 3.31 models, checked with `aiogram.methods.X.model_fields`):
# ephemeral messages. receiver_user_id and callback_query_id came in 10.2 and were folded into
# ephemeral_message_parameters in 10.3; Telegram keeps accepting both spellings.
_EPHEMERAL = (
    _field("ephemeral_message_parameters", "EphemeralMessageParameters"),
    _field("receiver_user_id", "Integer"),
    _field("callback_query_id", "String"),
)
# Removed from the documentation (Bot API 7.0: replaced by reply_parameters and
# link_preview_options; 10.x: correct_option_ids) but still honoured by the Bot API server.
_LEGACY_REPLY = (
    _field("reply_to_message_id", "Integer"),
    _field("allow_sending_without_reply", "Boolean"),
)
_LEGACY_PREVIEW = (_field("disable_web_page_preview", "Boolean"),)

NEWER_METHOD_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "sendMessage": _EPHEMERAL + _LEGACY_REPLY + _LEGACY_PREVIEW,
    "sendPhoto": _EPHEMERAL + _LEGACY_REPLY,
    "sendDocument": _EPHEMERAL + _LEGACY_REPLY,
    "sendPoll": _LEGACY_REPLY + (_field("correct_option_id", "Integer"),),
    "copyMessage": _LEGACY_REPLY,
    "editMessageText": _LEGACY_PREVIEW,
}

NEWER_TYPE_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "BotCommand": (_field("is_ephemeral", "Boolean"),),
    "InlineKeyboardButton": (_field("disabled", "DisabledButton"),),
    "ReplyParameters": (_field("ephemeral_message_id", "Integer"),),
    "KeyboardButton": (_field("request_user", "KeyboardButtonRequestUsers"),),
}

NEWER_TYPES: dict[str, TypeSpec] = {
    "EphemeralMessageParameters": TypeSpec(
        "EphemeralMessageParameters",
        {
            "receiver_user_id": _field("receiver_user_id", "Integer", required=True),
            "callback_query_id": _field("callback_query_id", "String"),
            "replace_callback_query_message": _field("replace_callback_query_message", "Boolean"),
        },
    ),
    # Bot API 10.3: a button shown greyed out; aiogram models it as an object without fields.
    "DisabledButton": TypeSpec("DisabledButton", {}),
}


class Spec:
    """Methods (looked up case-insensitively, as Telegram does) and types of the Bot API."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = raw.get("version", "")
        self.methods: dict[str, MethodSpec] = {}
        for name, method in raw["methods"].items():
            fields = {f["name"]: _from_raw(f) for f in method.get("fields", [])}
            for extra in NEWER_METHOD_FIELDS.get(name, ()):
                fields.setdefault(extra.name, extra)
            self.methods[name.lower()] = MethodSpec(name, fields)
        self.types: dict[str, TypeSpec] = dict(NEWER_TYPES)
        for name, kind in raw["types"].items():
            fields = {f["name"]: _from_raw(f) for f in kind.get("fields", []) or []}
            for extra in NEWER_TYPE_FIELDS.get(name, ()):
                fields.setdefault(extra.name, extra)
            self.types[name] = TypeSpec(name, fields, tuple(kind.get("subtypes") or ()))

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())


def _from_raw(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        raw["name"], tuple(raw["types"]), bool(raw.get("required")), raw.get("description", "")
    )


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> Spec:
    """Parse the spec file once per process (never at import)."""
    return Spec(json.loads(path.read_text(encoding="utf-8")))
