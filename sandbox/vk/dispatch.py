"""One API call from arrival to answer: method, token, rate, version, schema, faults, effect.

The checks run in this order, each answering with VK's error shape:
3 unknown method -> 5 bad token -> 6 rate (per token, any 1 s window) -> 27/15 token type ->
8 version -> 100/911/914 parameters -> injected faults (9, 6, 10, HTTP 502) -> the method.
A timeout fault lets the method take effect and only then hangs the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.vk.errors import (
    ACCESS,
    AUTH,
    FLOOD,
    GROUP_AUTH,
    INTERNAL,
    INVALID_REQUEST,
    KEYBOARD,
    PARAM,
    TOO_LONG,
    TOO_MANY,
    UNKNOWN_METHOD,
    VkError,
    error_body,
    param_error,
)
from sandbox.vk.schema import MethodSpec, method_spec
from sandbox.vk.validate import validate
from sandbox.vk.world import Token, World

VALIDATION_CODES = frozenset({PARAM, KEYBOARD, TOO_LONG})
# Methods that publish something; VK's anti-spam "Flood control" (9) answers only those.
SENDING_METHODS = frozenset({"messages.send", "messages.edit", "wall.post", "polls.create"})


@dataclass(frozen=True)
class Call:
    """A call that passed every check: its converted values, token and the world it acts on."""

    method: str
    values: dict[str, Any]
    raw: Mapping[str, str]
    token: Token
    world: World


Handler = Callable[[Call], Any]
Precheck = Callable[[World, Mapping[str, str]], None]


@dataclass(frozen=True)
class Answer:
    """What to answer: a JSON body (None = a bare HTTP 502), possibly after a hang."""

    body: dict[str, Any] | None
    hang: bool = False


@dataclass(frozen=True)
class Registry:
    handlers: Mapping[str, Handler]
    prechecks: Mapping[str, Sequence[Precheck]]


def dispatch(
    world: World,
    registry: Registry,
    method: str,
    params: Mapping[str, str],
    duplicated: Sequence[str] = (),
) -> Answer:
    """Run one call through every check and, if it passes, the method itself."""
    world.stats.requests_by_method[method] += 1
    try:
        spec, token = _admit(world, registry, method, params)
        if duplicated:
            raise param_error(f"{duplicated[0]} is given more than once (join arrays with commas)")
        for precheck in registry.prechecks.get(method, ()):
            precheck(world, params)
        values = validate(spec, params)
        fault = _draw_fault(world, method, token)
        if fault == "http_502":
            return Answer(body=None)
        result = registry.handlers[method](Call(method, values, params, token, world))
        return Answer(body={"response": result}, hang=fault == "timeout")
    except VkError as error:
        _count_error(world, error)
        return Answer(body=error_body(error, method, params))


def _admit(
    world: World, registry: Registry, method: str, params: Mapping[str, str]
) -> tuple[MethodSpec, Token]:
    spec = method_spec(method)
    if spec is None:
        raise VkError(UNKNOWN_METHOD)
    if method not in registry.handlers:
        raise VkError(UNKNOWN_METHOD, f"{method} is not emulated by the sandbox")
    token = _authenticate(world, params.get("access_token"))
    _rate(world, token)
    _check_token_type(spec, token)
    _check_version(world, params.get("v"))
    return spec, token


def _authenticate(world: World, value: str | None) -> Token:
    if not value:
        raise VkError(AUTH, "no access_token passed.")
    token = world.tokens.get(value)
    if token is None:
        raise VkError(AUTH, "invalid access_token (4).")
    return token


def _rate(world: World, token: Token) -> None:
    """VK's per-token ceiling; a call inside a window announced by error 6 is a violation.

    VK's error 6 states no retry time. The window we consider announced is the remainder of
    the sliding window: the time until one more call would have fitted. Refused calls do not
    use up the window; a spurious error 6 (knob p_429) announces none.
    """
    now = world.clock()
    world.stats.arrived(token.value, now, world.knobs.rate_window_s)
    world.retry_windows.check(token.value, now)
    book = world.group_windows if token.kind == "group" else world.user_windows
    window = book.get(token.value)
    if window.would_exceed(now):
        world.retry_windows.announce(token.value, now, window.retry_after(now))
        world.stats.error_6_by_token[token.value] += 1
        raise VkError(TOO_MANY)
    window.record(now)


def _check_token_type(spec: MethodSpec, token: Token) -> None:
    if token.kind in spec.token_types:
        return
    if token.kind == "group":
        raise VkError(GROUP_AUTH, "method is unavailable with group auth.")
    # [U] the exact text VK gives a user token on a community-only method.
    raise VkError(ACCESS, "method is unavailable with user auth.")


def _check_version(world: World, version: str | None) -> None:
    if not version:
        raise VkError(INVALID_REQUEST, "v is required")
    if version != world.knobs.api_version:
        # Stricter than VK, which serves old versions: vk_api defaults to 5.92.
        raise VkError(
            INVALID_REQUEST,
            f"the sandbox emulates v={world.knobs.api_version} only, got v={version}",
        )


def _draw_fault(world: World, method: str, token: Token) -> str | None:
    knobs, dice = world.knobs, world.faults
    if method in SENDING_METHODS and knobs.p_flood > 0 and dice.random() < knobs.p_flood:
        world.stats.faults["flood"] += 1
        raise VkError(FLOOD)
    if knobs.p_429 > 0 and dice.random() < knobs.p_429:
        world.stats.faults["error_6"] += 1
        world.stats.error_6_by_token[token.value] += 1
        raise VkError(TOO_MANY)
    if knobs.p_5xx > 0 and dice.random() < knobs.p_5xx:
        if knobs.http_5xx_share > 0 and dice.random() < knobs.http_5xx_share:
            world.stats.faults["http_502"] += 1
            return "http_502"
        world.stats.faults["error_10"] += 1
        raise VkError(INTERNAL)
    if knobs.p_timeout > 0 and dice.random() < knobs.p_timeout:
        world.stats.faults["timeout"] += 1
        return "timeout"
    return None


def _count_error(world: World, error: VkError) -> None:
    world.stats.errors_by_code[error.code] += 1
    if error.code in VALIDATION_CODES:
        world.stats.validation_errors += 1
