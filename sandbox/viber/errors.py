"""Viber status codes and the refusal every endpoint raises (always HTTP 200, status != 0)."""

from __future__ import annotations

from typing import Any

# developers.viber.com/docs/api/rest-bot-api/#error-codes: the status_message of a failure
# is the code's name, except where the docs or observed answers show a sentence.
STATUS_NAMES: dict[int, str] = {
    0: "ok",
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    8: "publicAccountNotFound",
    9: "publicAccountSuspended",
    10: "webhookNotSet",
    11: "receiverNoSuitableDevice",
    12: "tooManyRequests",
    13: "apiVersionNotSupported",
    14: "incompatibleWithVersion",
    15: "publicAccountNotAuthorized",
    16: "inchatReplyMessageNotAllowed",
    17: "publicAccountIsNotInline",
    18: "noPublicChat",
    19: "cannotSendBroadcast",
    20: "broadcastNotAllowed",
    21: "unsupportedCountry",
    22: "paymentUnsupported",
    23: "freeMessagesExceeded",
    24: "noBalance",
}

# "Failing to send the authentication token in the header will result in an error with
# the missing_auth_token message" (REST Bot API, Authentication).
MISSING_AUTH_TOKEN = "missing_auth_token"
# The send_message docs quote the per-user cap answer with this sentence.
USER_CAP_MESSAGE = "Too many requests"
# Entries of broadcast_message failed_list, as in the broadcast guide's example answer.
FAILED_LIST_MESSAGES: dict[int, str] = {
    5: "Not found",
    6: "Not subscribed",
    12: USER_CAP_MESSAGE,
}

OK = 0
INVALID_URL = 1
INVALID_AUTH_TOKEN = 2
BAD_DATA = 3
MISSING_DATA = 4
NOT_REGISTERED = 5
NOT_SUBSCRIBED = 6
ACCOUNT_BLOCKED = 7
WEBHOOK_NOT_SET = 10
TOO_MANY_REQUESTS = 12
API_VERSION_NOT_SUPPORTED = 13
FREE_MESSAGES_EXCEEDED = 23
NO_BALANCE = 24


class Refusal(Exception):
    """A Viber failure answer: {"status": n, "status_message": ..., **extra}."""

    def __init__(self, status: int, message: str | None = None, **extra: Any) -> None:
        self.status = status
        self.status_message = message if message is not None else STATUS_NAMES[status]
        self.extra = extra
        super().__init__(f"{status} {self.status_message}")

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "status_message": self.status_message, **self.extra}

    def failed_entry(self, receiver: str) -> dict[str, Any]:
        """The failed_list form of this refusal for one broadcast receiver."""
        message = FAILED_LIST_MESSAGES.get(self.status, self.status_message)
        return {"receiver": receiver, "status": self.status, "status_message": message}


def bad_data(detail: str) -> Refusal:
    return Refusal(BAD_DATA, detail)


def missing_data(field: str) -> Refusal:
    # Observed answers name the schema problem, e.g. "keyboard is not valid. [object has
    # missing required properties ([\"Type\"])]" (bottenderjs/messaging-apis#652).
    return Refusal(MISSING_DATA, f'object has missing required properties (["{field}"])')
