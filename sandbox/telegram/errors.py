"""Telegram's error answers: {"ok": false, "error_code": N, "description": ..., "parameters"}."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer in Telegram's shape; raised anywhere inside a method call."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class ValidationError(ApiError):
    """A 400 raised while checking the call against the spec (counted apart in stats)."""

    def __init__(self, detail: str) -> None:
        super().__init__(400, f"Bad Request: {detail}")


class MemberActionError(Exception):
    """A member action the platform would not allow (e.g. writing to a bot never started)."""


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def server_error(code: int) -> ApiError:
    reason = {500: "Internal Server Error", 502: "Bad Gateway"}.get(code, "Internal Server Error")
    return ApiError(code, reason)


CHAT_NOT_FOUND = "chat not found"
WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
BLOCKED = "bot was blocked by the user"
DEACTIVATED = "user is deactivated"
NOT_STARTED = "bot can't initiate conversation with a user"
THREAD_NOT_FOUND = "message thread not found"  # a deleted or unknown forum topic
