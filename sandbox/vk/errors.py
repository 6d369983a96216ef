"""VK API errors: codes, their texts from specs/vk/errors.json, and the answer shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SPECS = Path(__file__).resolve().parent.parent / "specs" / "vk"

UNKNOWN_METHOD = 3
AUTH = 5
TOO_MANY = 6
INVALID_REQUEST = 8
FLOOD = 9
INTERNAL = 10
ACCESS = 15
USER_DELETED = 18
GROUP_AUTH = 27
PARAM = 100
BLACKLISTED = 900
DENY_SEND = 901
PRIVACY = 902
KEYBOARD = 911
TOO_LONG = 914


@cache
def _descriptions() -> dict[int, str]:
    errors = json.loads((SPECS / "errors.json").read_text(encoding="utf-8"))["errors"]
    return {entry["code"]: entry["description"] for entry in errors.values()}


def describe(code: int) -> str:
    """The error's text as VK words it (errors.json), without any detail."""
    return _descriptions().get(code, "Unknown error occurred")


class VkError(Exception):
    """An API error; `message` is VK's error_msg: the code's text, then ': detail'."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        self.code = code
        self.message = describe(code) if detail is None else f"{describe(code)}: {detail}"
        super().__init__(f"[{code}] {self.message}")


def param_error(detail: str) -> VkError:
    return VkError(PARAM, detail)


def error_body(error: VkError, method: str, params: Mapping[str, str]) -> dict[str, Any]:
    """{"error": ...} with request_params echoed the way VK does (no access_token)."""
    echoed = [{"key": "oauth", "value": "1"}, {"key": "method", "value": method}]
    echoed += [
        {"key": key, "value": value} for key, value in params.items() if key != "access_token"
    ]
    return {
        "error": {
            "error_code": error.code,
            "error_msg": error.message,
            "request_params": echoed,
        }
    }


def peer_error(code: int) -> dict[str, Any]:
    """The `error` member of one item of a peer_ids answer."""
    return {"code": code, "description": describe(code)}
