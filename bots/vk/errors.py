"""Every VK answer and transport failure as a delivery status: the adapter's one error mapper.

Codes: dev.vk.com/ru/reference/errors and PLATFORMS.md. Per-peer errors come inside a
peer_ids answer; call errors fail the whole call.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from urllib3.exceptions import NewConnectionError
from vk_api.exceptions import ApiError, ApiHttpError, Captcha

from bots.transport import StartFailure
from core.ports import ChannelError, Status

TOO_MANY_RPS = 6
PERMISSION = 7
FLOOD = 9
INTERNAL = 10
RATE_LIMIT = 29

# VK states no wait for error 6; its window is one second.
RATE_WAIT_S = 1.0
# Flood control (9) is VK's anti-spam for many messages in a short time; it states no wait
# either. Five seconds is long enough not to hammer an anti-spam check that escalates, short
# enough to cost a broadcast little (the core pauses the whole channel for it).
FLOOD_WAIT_S = 5.0
# 29 is a method's daily quota: waiting seconds will not help, a minute keeps retries rare.
QUOTA_WAIT_S = 60.0


@dataclass(frozen=True)
class Verdict:
    status: Status
    error: str
    retry_after: float | None = None


_PER_PEER: dict[int, Status] = {
    PERMISSION: Status.UNSUBSCRIBED,
    901: Status.UNSUBSCRIBED,  # the member has not allowed messages from the community
    902: Status.UNSUBSCRIBED,  # the member's privacy settings refuse them
    900: Status.BLOCKED,  # the community blacklisted the member
    18: Status.BLOCKED,  # the page is deleted or banned
    917: Status.BLOCKED,  # the community is no longer in that group chat
    113: Status.WRONG_ID,  # "Invalid user id" (specs/vk/errors.json): no such VK user
    936: Status.WRONG_ID,  # "Contact not found" (specs/vk/errors.json)
    INTERNAL: Status.FAILED,
}
_WAITS = {TOO_MANY_RPS: RATE_WAIT_S, FLOOD: FLOOD_WAIT_S, RATE_LIMIT: QUOTA_WAIT_S}
# Faults of the community or the token, not of the recipients: no member is to blame.
# A call-level 7 with peer_ids means the community may not send at all (messages off or
# the token lacks the messages scope): marking 100 members unsubscribed would be wrong.
_ADAPTER_WIDE = frozenset({5, 15, 27, PERMISSION})


def peer_verdict(code: int, description: str) -> Verdict:
    """One item of a peer_ids answer that carries an error."""
    error = f"[{code}] {description}"
    if code in _WAITS:
        return Verdict(Status.RETRY_AFTER, error, _WAITS[code])
    return Verdict(_PER_PEER.get(code, Status.INVALID), error)


def call_verdict(code: int, message: str) -> Verdict:
    """An error answer to the whole call; raises ChannelError for adapter-wide faults."""
    if code in _ADAPTER_WIDE:
        raise ChannelError(f"VK error {code}: {message}")
    # 100 parameters, 911 keyboard, 914 too long and any unknown code: our request was wrong;
    # 900/901/902/18 name a recipient when VK answers for one peer.
    return peer_verdict(code, message)


def failure_verdict(exc: BaseException, *, sending: bool) -> Verdict:
    """A failure raised by vk_api or requests. `sending`: the call may deliver messages, so an
    answer lost after the request went out is UNCERTAIN (else FAILED: nothing reached anyone)."""
    if isinstance(exc, ApiError):
        return call_verdict(exc.code, str(exc.error.get("error_msg", exc)))
    if isinstance(exc, ApiHttpError):
        return Verdict(Status.FAILED, f"HTTP {exc.response.status_code}")
    if isinstance(exc, Captcha):
        return Verdict(Status.FAILED, "[14] captcha needed")
    if _never_sent(exc):
        return Verdict(Status.FAILED, f"not sent: {exc!r}")
    # A read timeout, a dropped connection, an answer that is no JSON: VK may have acted.
    status = Status.UNCERTAIN if sending else Status.FAILED
    return Verdict(status, f"no answer: {exc!r}")


def _never_sent(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.ReadTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    cause = getattr(reason, "reason", reason)
    return isinstance(cause, NewConnectionError)


def start_failure(exc: BaseException) -> StartFailure | None:
    """What keeps the channel from starting, if `exc` says so: a refused token (or a
    community that may not send) or VK out of reach; None for a call's own fault."""
    if isinstance(exc, StartFailure):
        return exc
    try:
        verdict = failure_verdict(exc, sending=False)
    except ChannelError as fault:
        return StartFailure("token", str(fault))
    if isinstance(exc, ChannelError):
        return StartFailure("token", str(exc))
    if isinstance(exc, requests.RequestException):
        reason = exc.args[0] if exc.args else exc
        return StartFailure("network", str(getattr(reason, "reason", reason)))
    if isinstance(exc, ApiHttpError):
        return StartFailure("network", verdict.error)
    return None
