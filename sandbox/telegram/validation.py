"""Checking a call against the spec: unknown parameters, missing ones, types and length limits.

Telegram ignores parameters it does not know; the sandbox answers them with
400 `Bad Request: unknown parameter "<name>"` so that a misspelt parameter fails in our tests
instead of being silently dropped in production. Nested objects are checked the same way and
worded as the Bot API server words them ("Can't parse inline keyboard button: Field \"text\"
must be of type String").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .body import RawCall, Upload
from .errors import ValidationError
from .spec import FieldSpec, Limit, MethodSpec, Spec, TypeSpec
from .values import (
    decode_json,
    to_boolean,
    to_chat_id,
    to_float,
    to_integer,
    to_string,
)

_ARRAY = "Array of "
_ATTACH = "attach://"
_MUST_BE = re.compile(r"\bmust be (\w+)")


@dataclass(frozen=True)
class FileParam:
    """An InputFile-or-String parameter: an uploaded part, or a file_id / HTTP URL."""

    upload: Upload | None = None
    reference: str | None = None


# The Bot API server's own words when a required parameter is missing or empty.
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "message_id": "message identifier is not specified",
    "question": "text must be non-empty",
    "options": "poll must have at least one answer option",
    "file_id": "file_id not specified",
    "callback_query_id": "query is too old and response timeout expired or query ID is invalid",
}
_MISSING_BY_METHOD = {("deleteMessage", "chat_id"): "chat identifier is not specified"}

# Limits whose wording depends on the method; the rest get a generic wording.
_LIMIT_WORDING = {
    ("answerCallbackQuery", "text"): "MESSAGE_TOO_LONG",
    ("setWebhook", "secret_token"): "secret token is too long",
    ("setMyCommands", "commands"): "BOT_COMMANDS_TOO_MUCH",
    ("InlineKeyboardButton", "callback_data"): "BUTTON_DATA_INVALID",
    ("BotCommand", "command"): "BOT_COMMAND_INVALID",
    ("BotCommand", "description"): "BOT_COMMAND_DESCRIPTION_INVALID",
}
# Checked by the methods themselves, with Telegram's wording and counting rules.
_LIMITS_CHECKED_ELSEWHERE = {
    ("sendPoll", "question"),
    ("sendPoll", "options"),
    ("InputPollOption", "text"),
}

_TYPE_LABELS = {
    "InlineKeyboardButton": "inline keyboard button",
    "KeyboardButton": "keyboard button",
    "InlineKeyboardMarkup": "reply markup",
    "ReplyKeyboardMarkup": "reply markup",
    "ReplyKeyboardRemove": "reply markup",
    "ForceReply": "reply markup",
    "ReplyParameters": "reply parameters",
    "LinkPreviewOptions": "link preview options",
}


class Validator:
    """Turns a RawCall into typed parameters for one method, or raises ValidationError."""

    def __init__(self, spec: Spec, method: MethodSpec, call: RawCall) -> None:
        self.spec = spec
        self.method = method
        self.call = call
        self._attached: set[str] = set()

    def run(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name, value in self.call.fields.items():
            spec = self.method.fields.get(name)
            if spec is None:
                raise ValidationError(f'unknown parameter "{name}"')
            if value == "" or value is None:
                continue
            params[name] = self.top_value(spec, value)
        self._take_file_parts(params)
        for spec in self.method.fields.values():
            if spec.required and spec.name not in params:
                raise ValidationError(self._missing(spec.name))
        return params

    def _missing(self, name: str) -> str:
        wording = _MISSING_BY_METHOD.get((self.method.name, name)) or _MISSING.get(name)
        return wording or f'parameter "{name}" is required'

    def _take_file_parts(self, params: dict[str, Any]) -> None:
        for part_name, upload in self.call.files.items():
            if part_name in self._attached:
                continue
            spec = self.method.fields.get(part_name)
            if spec is None or "InputFile" not in spec.types:
                raise ValidationError(f'unknown parameter "{part_name}"')
            params[part_name] = FileParam(upload=upload)

    def top_value(self, spec: FieldSpec, value: Any) -> Any:
        if "InputFile" in spec.types:
            return self._file_value(spec, value)
        result = self.value(spec.types, spec.name, value, top=True)
        self.check_limit(self.method.name, spec, result)
        return result

    def _file_value(self, spec: FieldSpec, value: Any) -> FileParam | None:
        text = to_string(spec.name, value)
        if text.startswith(_ATTACH):
            part = text[len(_ATTACH) :]
            upload = self.call.files.get(part)
            self._attached.add(part)
            # The Bot API server treats a dangling attach:// like no file at all.
            return FileParam(upload=upload) if upload is not None else None
        if "String" not in spec.types:
            raise ValidationError(f"{spec.name} must be an uploaded file")
        return FileParam(reference=text)

    def value(self, types: tuple[str, ...], name: str, value: Any, top: bool = False) -> Any:
        if types == ("Integer", "String"):
            return to_chat_id(name, value)
        if len(types) > 1:
            return self._union(types, name, value, top)
        kind = types[0]
        if kind.startswith(_ARRAY):
            return self._array(kind[len(_ARRAY) :], name, value, top)
        scalar = _SCALARS.get(kind)
        if scalar is not None:
            return scalar(name, value)
        if kind == "InputPollOption" and isinstance(value, str) and not top:
            # Telegram still accepts plain strings as poll options (aiogram passes them through).
            return {"text": value}
        if kind in self.spec.types:
            return self.object(kind, decode_json(name, value) if top else value)
        raise ValidationError(f"{name} has unsupported type {kind}")

    def _array(self, inner: str, name: str, value: Any, top: bool) -> list[Any]:
        items = decode_json(name, value) if top else value
        if not isinstance(items, list):
            raise ValidationError(f"{name} must be an Array")
        return [self.value((inner,), name, item) for item in items]

    def _union(self, types: tuple[str, ...], name: str, value: Any, top: bool) -> Any:
        body = decode_json(name, value) if top else value
        if not isinstance(body, dict):
            raise ValidationError(f"object expected as {_TYPE_LABELS.get(types[0], name)}")
        for kind in types:
            type_spec = self.spec.types.get(kind)
            if type_spec and all(f.name in body for f in type_spec.fields.values() if f.required):
                return self.object(kind, body)
        raise ValidationError(f"can't parse {name}: none of {', '.join(types)} fits")

    def object(self, kind: str, body: Any) -> dict[str, Any]:
        type_spec = self._concrete(self.spec.types[kind], body)
        label = _TYPE_LABELS.get(type_spec.name, type_spec.name)
        if not isinstance(body, dict):
            raise ValidationError(f"can't parse {label}: expected an Object")
        result: dict[str, Any] = {}
        for key, item in body.items():
            field = type_spec.fields.get(key)
            if field is None:
                raise ValidationError(f'can\'t parse {label}: unknown field "{key}"')
            result[key] = self._field(type_spec, field, item, label)
        for field in type_spec.fields.values():
            if field.required and field.name not in result:
                raise ValidationError(f"can't parse {label}: Can't find field \"{field.name}\"")
        return result

    def _field(self, owner: TypeSpec, field: FieldSpec, item: Any, label: str) -> Any:
        try:
            value = self.value(field.types, field.name, item)
        except ValidationError as exc:
            # Only this field's own type error is reworded; deeper errors are already final.
            own = f"Bad Request: {field.name} "
            if not exc.description.startswith(own):
                raise
            detail = exc.description.removeprefix(own)
            raise ValidationError(f'can\'t parse {label}: Field "{field.name}" {detail}') from exc
        self.check_limit(owner.name, field, value)
        return value

    def _concrete(self, type_spec: TypeSpec, body: Any) -> TypeSpec:
        """Pick the subtype an abstract type's "type" field names ("Scope type, must be chat")."""
        if not type_spec.subtypes or not isinstance(body, dict):
            return type_spec
        for sub in type_spec.subtypes:
            sub_spec = self.spec.types[sub]
            discriminator = sub_spec.fields.get("type")
            found = _MUST_BE.search(discriminator.description) if discriminator else None
            if found and found[1] == body.get("type"):
                return sub_spec
        raise ValidationError(f"can't parse {type_spec.name}: unsupported type specified")

    def check_limit(self, owner: str, field: FieldSpec, value: Any) -> None:
        limit = field.limit
        if (
            limit is None
            or limit.after_entities
            or (owner, field.name) in _LIMITS_CHECKED_ELSEWHERE
        ):
            return
        size = _measure(limit, value)
        if size is None or limit.low <= size <= limit.high:
            return
        wording = _LIMIT_WORDING.get((owner, field.name))
        raise ValidationError(wording or _generic_limit(field.name, limit))


def _measure(limit: Limit, value: Any) -> int | None:
    if limit.unit == "items":
        return len(value) if isinstance(value, list) else None
    if not isinstance(value, str):
        return None
    if limit.unit == "bytes":
        return len(value.encode("utf-8"))
    return len(value)


def _generic_limit(name: str, limit: Limit) -> str:
    return f'parameter "{name}" must be {limit.low}-{limit.high} {limit.unit} long'


_SCALARS = {
    "Integer": to_integer,
    "Float": to_float,
    "Boolean": to_boolean,
    "String": to_string,
}


def validate_call(spec: Spec, method: MethodSpec, call: RawCall) -> dict[str, Any]:
    """Typed parameters of a call; raises ValidationError (a 400) on the first fault."""
    return Validator(spec, method, call).run()
