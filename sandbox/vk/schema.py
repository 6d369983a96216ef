"""The VK API 5.199 schema (specs/vk/<section>/methods.json), boiled down for validation.

The schema marks required-ness per property and uses custom keywords (entity, int64), so it
is preprocessed here into plain parameter specs; `$ref`s are followed only to pick up enums.
Files are read on first use and cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from sandbox.vk.errors import SPECS

# Sent by every client (vk_api adds v and access_token to each call); allowed everywhere.
# `lang` picks the language of texts. Nothing else is global here: `test_mode`,
# `captcha_sid`/`captcha_key` (the emulator never asks for a captcha) are refused as unknown.
COMMON_PARAMS = frozenset({"v", "access_token", "lang"})


@dataclass(frozen=True)
class ParamSpec:
    """One parameter (or array item): its kind and the limits the schema states."""

    name: str
    kind: str  # integer | number | string | boolean | array | any
    required: bool = False
    int64: bool = False  # an integer without format int64 is a 32-bit one
    max_length: int | None = None
    min_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] | None = None
    max_items: int | None = None
    min_items: int | None = None
    item: ParamSpec | None = None


@dataclass(frozen=True)
class MethodSpec:
    name: str
    token_types: frozenset[str]
    params: tuple[ParamSpec, ...]

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


@cache
def _load(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SPECS / relative).read_text(encoding="utf-8"))
    return loaded


def _resolve(ref: str) -> dict[str, Any]:
    """Follow '../section/file.json#/definitions/name' (paths are relative to a section)."""
    file_part, _, pointer = ref.partition("#")
    node: Any = _load(file_part.removeprefix("../"))
    for part in pointer.strip("/").split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def _kind(raw: dict[str, Any]) -> str:
    declared = raw.get("type")
    if isinstance(declared, list):
        return "any"  # e.g. ["integer", "string"]: an id or a screen name
    if declared is None and "$ref" in raw:
        return str(_resolve(raw["$ref"]).get("type", "any"))
    return str(declared or "any")


def _enum(raw: dict[str, Any]) -> tuple[str, ...] | None:
    values = raw.get("enum")
    if values is None and "$ref" in raw:
        values = _resolve(raw["$ref"]).get("enum")
    return None if values is None else tuple(str(v) for v in values)


def _param(name: str, raw: dict[str, Any]) -> ParamSpec:
    kind = _kind(raw)
    item = _param(name, raw.get("items", {})) if kind == "array" else None
    return ParamSpec(
        name=name,
        kind=kind,
        required=bool(raw.get("required", False)),
        int64=raw.get("format") == "int64",
        max_length=raw.get("maxLength"),
        min_length=raw.get("minLength"),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        enum=_enum(raw),
        max_items=raw.get("maxItems"),
        min_items=raw.get("minItems"),
        item=item,
    )


@cache
def method_spec(name: str) -> MethodSpec | None:
    """The method as the schema declares it, or None when VK has no such method."""
    section = name.partition(".")[0]  # "execute" has no section of its own
    if not section.isidentifier():
        return None
    try:
        methods = _load(f"{section}/methods.json")["methods"]
    except FileNotFoundError:
        return None
    raw = next((m for m in methods if m["name"] == name), None)
    if raw is None:
        return None
    return MethodSpec(
        name=name,
        token_types=frozenset(raw.get("access_token_type", ())),
        params=tuple(_param(p["name"], p) for p in raw.get("parameters", ())),
    )
