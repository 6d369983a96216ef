"""Viber answers as DeliveryResults (REST Bot API error codes; broadcast guide failed_list).

Viber answers failures with HTTP 200 and `status != 0`; a broadcast answers status 0 and
lists the receivers it could not serve in `failed_list`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from core.ports import ChannelError, DeliveryResult, Status

log = logging.getLogger("rupor.viber")

OK = 0
BAD_DATA = 3
TOO_MANY_REQUESTS = 12
BROADCAST_REFUSED = frozenset({19, 20})  # cannotSendBroadcast, broadcastNotAllowed
# Statuses about the bot account, not the member: nothing can be sent until an admin acts.
ACCOUNT_WIDE: dict[int, str] = {
    2: "the auth token is wrong or missing",
    7: "the bot account is blocked",
    8: "the bot account is not found",
    9: "the bot account is suspended",
    10: "no webhook is set (start() sets it)",
    15: "the bot account is not authorized",
    23: "the free bot-initiated messages are used up",
    24: "the account has no balance for bot-initiated messages",
}
PER_RECEIVER: dict[int, Status] = {
    1: Status.INVALID,  # invalidUrl
    3: Status.INVALID,  # badData
    4: Status.INVALID,  # missingData
    # receiverNotRegistered: no Viber user at this id. Viber answers it alike for an account
    # deleted since and for a wrong id, so it stays "blocked" (like Telegram's "user is
    # deactivated"); only a platform that tells them apart reports WRONG_ID.
    5: Status.BLOCKED,
    6: Status.UNSUBSCRIBED,  # receiverNotSubscribed
    13: Status.INVALID,  # apiVersionNotSupported: the member's app cannot show this message
}
# Viber gives no retry_after with status 12. Our pacer keeps us inside 500 requests per
# 10 s, so a 12 means a short burst Viber counted differently (or another client of the
# token): 2 s lets the busiest second of the window pass without idling the channel long.
RETRY_AFTER_S = 2.0
USER_CAP_ERROR = "Viber allows 100 messages per member per hour without a reply"


def describe(answer: Mapping[str, Any]) -> str:
    return f"{answer.get('status')} {answer.get('status_message', '')}".strip()


def account_fault(status: int, error: str) -> ChannelError:
    reason = ACCOUNT_WIDE.get(status, "the account cannot send")
    return ChannelError(f"Viber refused the request ({error}): {reason}")


def _result(recipient: str, status: int, error: str, user_cap: bool) -> DeliveryResult:
    if status == TOO_MANY_REQUESTS:
        if user_cap:
            # The per-member cap lasts up to an hour: retry with backoff, never pause all.
            return DeliveryResult(recipient, Status.FAILED, error=f"{error}: {USER_CAP_ERROR}")
        return DeliveryResult(
            recipient, Status.RETRY_AFTER, retry_after=RETRY_AFTER_S, error=error
        )
    if status in ACCOUNT_WIDE:
        return DeliveryResult(recipient, Status.FAILED, error=error)
    return DeliveryResult(recipient, PER_RECEIVER.get(status, Status.FAILED), error=error)


def refused(
    recipients: Sequence[str], answer: Mapping[str, Any], *, with_media: bool = False
) -> list[DeliveryResult]:
    """A whole request refused with `status != 0` (not 19/20); ChannelError when the fault
    is the account's."""
    status = int(answer["status"])
    error = describe(answer)
    if status in ACCOUNT_WIDE:
        raise account_fault(status, error)
    # send_message's per-member cap answer carries a message_token (send_message docs);
    # the request rate limit does not.
    user_cap = status == TOO_MANY_REQUESTS and "message_token" in answer
    if with_media and status == BAD_DATA:
        # Viber says badData when it cannot download the file from our media server: a
        # passing fault of ours to retry (a truly bad message fails after max attempts).
        return [DeliveryResult(r, Status.FAILED, error=error) for r in recipients]
    return [_result(recipient, status, error, user_cap) for recipient in recipients]


def sent(recipient: str, answer: Mapping[str, Any]) -> DeliveryResult:
    token = answer.get("message_token")
    return DeliveryResult(recipient, Status.SENT, platform_message_id=_token(token))


def broadcast(recipients: Sequence[str], answer: Mapping[str, Any]) -> list[DeliveryResult]:
    """Per-receiver results of a broadcast answered with status 0."""
    failed = _failed_list(answer.get("failed_list"))
    token = _token(answer.get("message_token"))
    if not failed:  # the usual answer: one token for every receiver
        return [DeliveryResult(r, Status.SENT, token) for r in recipients]
    results = []
    for recipient in recipients:
        entry = failed.get(recipient)
        if entry is None:
            results.append(DeliveryResult(recipient, Status.SENT, platform_message_id=token))
            continue
        # In a failed_list, 12 is always the per-member cap: the request itself was taken.
        results.append(_result(recipient, entry[0], entry[1], user_cap=True))
    _raise_when_all_refused_for_the_account(results, failed)
    return results


def _failed_list(entries: Any) -> dict[str, tuple[int, str]]:
    failed: dict[str, tuple[int, str]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("receiver"), str):
            status = entry.get("status")
            code = status if isinstance(status, int) else -1
            failed[entry["receiver"]] = (code, describe(entry))
    return failed


def _raise_when_all_refused_for_the_account(
    results: list[DeliveryResult], failed: dict[str, tuple[int, str]]
) -> None:
    """Billing refusals for every receiver stop the channel; for some, only they fail."""
    if not failed:
        return
    refused_for_account = [r.recipient for r in results if failed.get(r.recipient, (0,))[0]
                           in ACCOUNT_WIDE]
    if not refused_for_account:
        return
    code, error = failed[refused_for_account[0]]
    if len(refused_for_account) == len(results):
        raise account_fault(code, error)
    log.error("viber: %d broadcast receivers refused for the account: %s",
              len(refused_for_account), error)


def _token(token: Any) -> str | None:
    return str(token) if isinstance(token, int | str) and token != "" else None
