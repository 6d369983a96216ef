"""Validation of the message bodies of send_message, broadcast_message and welcome messages.

Field rules follow developers.viber.com (send_message, message types) and creators.viber.com.
A JSON null counts as an absent field: viberbot's `to_dict()` emits e.g. "thumbnail": null.
Missing mandatory fields answer status 4 missingData, every other mistake status 3 badData.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from .errors import Refusal, bad_data, missing_data
from .keyboard import validate_keyboard
from .knobs import ViberKnobs

COMMON_FIELDS = frozenset(
    {"auth_token", "type", "sender", "tracking_data", "min_api_version", "keyboard"}
)
ENVELOPE_FIELDS = {
    "send": frozenset({"receiver"}),
    "broadcast": frozenset({"broadcast_list"}),
    "welcome": frozenset(),
}
TYPE_FIELDS: dict[str, frozenset[str]] = {
    "text": frozenset({"text"}),
    "picture": frozenset({"text", "media", "thumbnail"}),
    "video": frozenset({"media", "size", "duration", "thumbnail", "text"}),
    "file": frozenset({"media", "size", "file_name"}),
    "url": frozenset({"media"}),
    "location": frozenset({"location"}),
    "contact": frozenset({"contact"}),
    "sticker": frozenset({"sticker_id"}),
    "rich_media": frozenset({"rich_media", "alt_text"}),
    # A keyboard "can be attached to any message type or sent on its own" (keyboards doc);
    # viberbot's KeyboardMessage sends it without a type.
    "keyboard": frozenset(),
}
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "picture": ("text", "media"),
    "video": ("media", "size"),
    "file": ("media", "size", "file_name"),
    "url": ("media",),
    "location": ("location",),
    "contact": ("contact",),
    "sticker": ("sticker_id",),
    "rich_media": ("rich_media",),
    "keyboard": ("keyboard",),
}
MEDIA_TYPES = frozenset({"picture", "video", "file"})
# "Forbidden file formats" of the file message (REST Bot API, message types).
# fmt: off
FORBIDDEN_EXTENSIONS = frozenset((
    "app", "aspx", "asp", "bat", "bin", "cmd", "com", "cpl", "csh", "dll", "dmg", "dylib",
    "exe", "gadget", "inf1", "ins", "inx", "ipa", "isu", "jar", "js", "jse", "jsp", "ksh",
    "lnk", "msc", "msi", "msp", "mst", "obj", "osx", "out", "paf", "pif", "prg", "ps1", "reg",
    "rgs", "run", "scr", "sct", "shb", "shs", "so", "u3p", "vb", "vbe", "vbs", "vbscript",
    "workflow", "ws", "wsf",
))
# fmt: on


@dataclass(frozen=True)
class MessageDraft:
    """A validated bot message, before it is addressed to anyone."""

    type: str
    fields: Mapping[str, Any]
    sender_name: str | None
    tracking_data: str | None
    min_api_version: int
    keyboard: Mapping[str, Any] | None

    @property
    def media(self) -> str | None:
        value = self.fields.get("media")
        return value if isinstance(value, str) else None


def parse_message(body: Mapping[str, Any], knobs: ViberKnobs, envelope: str) -> MessageDraft:
    """Validate one message body; `envelope` is "send", "broadcast" or "welcome"."""
    fields = {key: value for key, value in body.items() if value is not None}
    message_type = _message_type(fields)
    allowed = COMMON_FIELDS | ENVELOPE_FIELDS[envelope] | TYPE_FIELDS[message_type]
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise bad_data(f"object instance has properties which are not allowed: {unknown}")
    for name in REQUIRED_FIELDS[message_type]:
        if name not in fields:
            raise missing_data(name)
    sender_name = _sender_name(fields.get("sender"), knobs, required=envelope != "welcome")
    tracking = _optional_str(fields, "tracking_data", knobs.max_tracking_data_len)
    min_api = fields.get("min_api_version", 1)
    if isinstance(min_api, bool) or not isinstance(min_api, int) or min_api < 1:
        raise bad_data("min_api_version must be a positive integer")
    keyboard = fields.get("keyboard")
    if keyboard is not None:
        validate_keyboard(keyboard, knobs.keyboard_max_buttons)
    TYPE_CHECKS[message_type](fields, knobs)
    for key in ("auth_token", "receiver", "broadcast_list"):
        fields.pop(key, None)
    return MessageDraft(message_type, fields, sender_name, tracking, min_api, keyboard)


def _message_type(fields: Mapping[str, Any]) -> str:
    message_type = fields.get("type")
    if message_type is None:
        if "keyboard" in fields:
            return "keyboard"
        raise missing_data("type")
    if message_type == "keyboard" or message_type not in TYPE_FIELDS:
        names = [name for name in TYPE_FIELDS if name != "keyboard"]
        raise bad_data(f'instance value ("{message_type}") not found in enum {names}')
    return str(message_type)


def _sender_name(sender: Any, knobs: ViberKnobs, required: bool) -> str | None:
    if sender is None:
        if required:
            raise missing_data("sender")
        return None
    if not isinstance(sender, dict):
        raise bad_data("sender must be an object")
    unknown = sorted(set(sender) - {"name", "avatar"})
    if unknown:
        raise bad_data(f"sender: object instance has properties which are not allowed: {unknown}")
    name = sender.get("name")
    if name is None:
        raise missing_data("sender.name")
    if not isinstance(name, str) or not 1 <= len(name) <= knobs.max_sender_name_len:
        raise bad_data(f"sender.name must be 1 to {knobs.max_sender_name_len} characters")
    avatar = sender.get("avatar")
    if avatar is not None and not _is_url(avatar, knobs.max_url_len):
        raise bad_data("sender.avatar must be a URL")
    return name


def _optional_str(fields: Mapping[str, Any], name: str, most: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > most:
        raise bad_data(f"{name} must be a string of at most {most} characters")
    return value


def _is_url(value: Any, most: int) -> bool:
    if not isinstance(value, str) or len(value) > most:
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _require_url(fields: Mapping[str, Any], name: str, knobs: ViberKnobs) -> None:
    if name in fields and not _is_url(fields[name], knobs.max_url_len):
        raise bad_data(f"{name} must be an http(s) URL of at most {knobs.max_url_len} characters")


def _positive_int(fields: Mapping[str, Any], name: str, most: int) -> None:
    value = fields.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
        raise bad_data(f"{name} must be an integer from 1 to {most}, got {value!r}")


def _check_text(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    text = fields["text"]
    if not isinstance(text, str) or not text:
        raise bad_data("text must be a non-empty string")
    if len(text) > knobs.max_text_len:
        raise bad_data(f"text is too long ({len(text)} > {knobs.max_text_len} characters)")


def _check_picture(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    # The picture's description "can be an empty string if irrelevant" but must be there.
    _optional_str(fields, "text", knobs.max_picture_text_len)
    _require_url(fields, "media", knobs)
    _require_url(fields, "thumbnail", knobs)


def _check_video(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    _require_url(fields, "media", knobs)
    _require_url(fields, "thumbnail", knobs)
    _positive_int(fields, "size", knobs.max_file_bytes)
    _positive_int(fields, "duration", knobs.max_video_duration_s)
    _optional_str(fields, "text", knobs.max_picture_text_len)


def _check_file(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    _require_url(fields, "media", knobs)
    _positive_int(fields, "size", knobs.max_file_bytes)
    name = fields["file_name"]
    if not isinstance(name, str) or not 1 <= len(name) <= knobs.max_file_name_len:
        raise bad_data(f"file_name must be 1 to {knobs.max_file_name_len} characters")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in FORBIDDEN_EXTENSIONS:
        raise bad_data(f"file type .{extension} is forbidden")


def _check_url(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    _require_url(fields, "media", knobs)


def _check_location(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    location = fields["location"]
    if not isinstance(location, dict) or set(location) != {"lat", "lon"}:
        raise bad_data("location must be an object with lat and lon")
    if not all(isinstance(location[key], int | float) for key in ("lat", "lon")):
        raise bad_data("location lat and lon must be numbers")


def _check_contact(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    contact = fields["contact"]
    if not isinstance(contact, dict) or set(contact) != {"name", "phone_number"}:
        raise bad_data("contact must be an object with name and phone_number")
    if not all(isinstance(value, str) and value for value in contact.values()):
        raise bad_data("contact name and phone_number must be non-empty strings")


def _check_sticker(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    sticker = fields["sticker_id"]
    if isinstance(sticker, bool) or not isinstance(sticker, int):
        raise bad_data("sticker_id must be an integer")


def _check_rich_media(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    rich = fields["rich_media"]
    if not isinstance(rich, dict) or rich.get("Type") != "rich_media":
        raise bad_data('rich_media must be an object with "Type": "rich_media"')
    if not isinstance(rich.get("Buttons"), list) or not rich["Buttons"]:
        raise bad_data("rich_media.Buttons must be a non-empty array")
    _optional_str(fields, "alt_text", knobs.max_text_len)


def _check_nothing(fields: Mapping[str, Any], knobs: ViberKnobs) -> None:
    return None


TYPE_CHECKS: dict[str, Callable[[Mapping[str, Any], ViberKnobs], None]] = {
    "text": _check_text,
    "picture": _check_picture,
    "video": _check_video,
    "file": _check_file,
    "url": _check_url,
    "location": _check_location,
    "contact": _check_contact,
    "sticker": _check_sticker,
    "rich_media": _check_rich_media,
    "keyboard": _check_nothing,
}


def require_envelope_receiver(body: Mapping[str, Any]) -> str:
    """The receiver of a send_message body (status 4 when absent, 3 when not a string)."""
    receiver = body.get("receiver")
    if receiver is None:
        raise missing_data("receiver")
    if not isinstance(receiver, str) or not receiver:
        raise bad_data("receiver must be a non-empty string")
    return receiver


def require_broadcast_list(body: Mapping[str, Any], most: int) -> list[str]:
    """The receivers of a broadcast_message body; at most `most`, no duplicates."""
    receivers = body.get("broadcast_list")
    if receivers is None:
        raise missing_data("broadcast_list")
    if not isinstance(receivers, list) or not all(isinstance(r, str) and r for r in receivers):
        raise bad_data("broadcast_list must be an array of user ids")
    if not 1 <= len(receivers) <= most:
        raise bad_data(f"broadcast_list must hold 1 to {most} receivers, got {len(receivers)}")
    if len(set(receivers)) != len(receivers):
        # Viber's behaviour with duplicates is unknown; refusing them catches double billing.
        raise bad_data("broadcast_list has duplicate receivers")
    return receivers


__all__ = [
    "MEDIA_TYPES",
    "MessageDraft",
    "Refusal",
    "parse_message",
    "require_broadcast_list",
    "require_envelope_receiver",
]
