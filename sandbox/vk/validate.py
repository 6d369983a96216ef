"""Checks one call's parameters against its MethodSpec and converts them to Python values.

Every failure is error 100 with VK's prefix "One of the parameters specified was missing or
invalid: " and a short detail ("peer_ids is unknown", "random_id is undefined"). Unknown
parameters are refused although VK ignores them: that is how our own typos surface.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sandbox.vk.errors import VkError, param_error
from sandbox.vk.schema import COMMON_PARAMS, MethodSpec, ParamSpec

_INTEGER = re.compile(r"-?\d+")
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1


def validate(spec: MethodSpec, params: Mapping[str, str]) -> dict[str, Any]:
    """The call's parameters as Python values (common ones left out), or VkError(100)."""
    known = {p.name for p in spec.params}
    for name in params:
        if name not in known and name not in COMMON_PARAMS:
            raise param_error(f"{name} is unknown")
    values: dict[str, Any] = {}
    for param in spec.params:
        raw = params.get(param.name)
        if raw is None:
            if param.required:
                raise param_error(f"{param.name} is undefined")
            continue
        values[param.name] = convert(param, raw)
    return values


def convert(param: ParamSpec, raw: str) -> Any:
    """One value, converted by its kind and checked against its limits."""
    if param.kind == "array":
        return _array(param, raw)
    value = _scalar(param, raw)
    _check_enum(param, raw)
    _check_range(param, value)
    _check_length(param, raw)
    return value


def _array(param: ParamSpec, raw: str) -> list[Any]:
    # Form bodies carry arrays comma-joined ("1,2,3"); vk_api joins lists that way.
    parts = [part.strip() for part in raw.split(",")] if raw.strip() else []
    if param.max_items is not None and len(parts) > param.max_items:
        raise param_error(f"{param.name} has too many items (at most {param.max_items})")
    if param.min_items is not None and len(parts) < param.min_items:
        raise param_error(f"{param.name} has too few items (at least {param.min_items})")
    item = param.item or ParamSpec(name=param.name, kind="any")
    return [convert(item, part) for part in parts]


def _scalar(param: ParamSpec, raw: str) -> Any:
    if param.kind == "integer":
        if not _INTEGER.fullmatch(raw.strip()):
            raise param_error(f"{param.name} not integer")
        limit, width = (INT64_MAX, "int64") if param.int64 else (INT32_MAX, "int32")
        if abs(int(raw)) > limit:
            raise param_error(f"{param.name} is out of range ({width})")
        return int(raw)
    if param.kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise param_error(f"{param.name} not number") from None
    if param.kind == "boolean":
        lowered = raw.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise param_error(f"{param.name} should be 0 or 1")
        return lowered in _TRUE
    return raw


def _check_enum(param: ParamSpec, raw: str) -> None:
    if param.enum is not None and raw not in param.enum:
        raise param_error(f"{param.name} should be one of: {', '.join(param.enum)}")


def _check_range(param: ParamSpec, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if param.minimum is not None and value < param.minimum:
        bound = "positive" if param.minimum == 1 else f"not less than {_plain(param.minimum)}"
        raise param_error(f"{param.name} should be {bound}")
    if param.maximum is not None and value > param.maximum:
        raise param_error(f"{param.name} should be not more than {_plain(param.maximum)}")


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _check_length(param: ParamSpec, raw: str) -> None:
    if param.max_length is not None and len(raw) > param.max_length:
        raise param_error(f"{param.name} is too long (at most {param.max_length} characters)")
    if param.min_length is not None and len(raw) < param.min_length:
        raise param_error(f"{param.name} is too short (at least {param.min_length} characters)")


def require(values: Mapping[str, Any], name: str) -> Any:
    """A parameter the schema leaves optional but VK requires (random_id since 5.90)."""
    if name not in values:
        raise VkError(100, f"{name} is undefined")
    return values[name]
