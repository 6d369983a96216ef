"""Counters of what the emulated Viber saw, served by stats() and GET /__sandbox/stats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..limits import RetryWindows, SlidingWindow

# Stat windows count every authenticated request; they never refuse anything.
UNBOUNDED = 10**12


@dataclass
class RequestWindows:
    """Busiest 1 s and busiest rate window of one token, over every request it made."""

    rate_window_s: float
    one_second: SlidingWindow = field(init=False)
    rate_window: SlidingWindow = field(init=False)

    def __post_init__(self) -> None:
        self.one_second = SlidingWindow(UNBOUNDED, 1.0)
        self.rate_window = SlidingWindow(UNBOUNDED, self.rate_window_s)

    def record(self, now: float) -> None:
        self.one_second.record(now)
        self.rate_window.record(now)


@dataclass
class ViberStats:
    """Plain counters; the emulator's modules bump them, as_dict() reports them."""

    requests: Counter[str] = field(default_factory=Counter)
    errors_by_status: Counter[int] = field(default_factory=Counter)
    accepted_total: int = 0
    accepted_by_receiver: Counter[str] = field(default_factory=Counter)
    accepted_by_endpoint: Counter[str] = field(default_factory=Counter)
    broadcasts: int = 0
    broadcast_sizes: list[int] = field(default_factory=list)
    broadcast_failed_receivers: int = 0
    rate_limited: int = 0
    user_cap_refusals: int = 0
    injected_429: int = 0
    injected_5xx: int = 0
    injected_timeouts: int = 0
    media_fetches: int = 0
    media_fetch_failures: int = 0
    token_in_body: int = 0
    validation_errors: int = 0
    billable_messages: int = 0
    webhook_checks: int = 0
    welcome_refusals: int = 0
    callbacks_delivered: int = 0
    callback_attempts_failed: int = 0
    callback_retries: int = 0
    callbacks_dropped: int = 0
    callbacks_not_sent: int = 0
    callbacks_by_event: Counter[str] = field(default_factory=Counter)

    def refusal(self, status: int) -> None:
        self.errors_by_status[status] += 1
        if status in (3, 4):
            self.validation_errors += 1

    def accepted(self, receiver: str, endpoint: str) -> None:
        self.accepted_total += 1
        self.accepted_by_receiver[receiver] += 1
        self.accepted_by_endpoint[endpoint] += 1

    def as_dict(self, windows: RequestWindows, retry: RetryWindows) -> dict[str, Any]:
        status_12 = self.errors_by_status.get(12, 0)
        return {
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "accepted_messages_total": self.accepted_total,
            "accepted_messages_by_receiver": dict(self.accepted_by_receiver),
            "accepted_messages_by_endpoint": dict(self.accepted_by_endpoint),
            "broadcasts": self.broadcasts,
            "broadcast_sizes": list(self.broadcast_sizes),
            "broadcast_failed_receivers": self.broadcast_failed_receivers,
            "errors_by_status": {str(k): v for k, v in sorted(self.errors_by_status.items())},
            "status_12": status_12,
            "rate_limited": self.rate_limited,
            "user_cap_refusals": self.user_cap_refusals,
            "violations": retry.violations,
            "max_requests_in_1s": windows.one_second.max_in_window,
            "max_requests_in_rate_window": windows.rate_window.max_in_window,
            "rate_window_s": windows.rate_window_s,
            "media_fetches": self.media_fetches,
            "media_fetch_failures": self.media_fetch_failures,
            "token_in_body": self.token_in_body,
            "validation_errors": self.validation_errors,
            "billable_messages": self.billable_messages,
            "welcome_refusals": self.welcome_refusals,
            "faults_injected": {
                "status_12": self.injected_429,
                "5xx": self.injected_5xx,
                "timeouts": self.injected_timeouts,
            },
            "callbacks": {
                "delivered": self.callbacks_delivered,
                "failed_attempts": self.callback_attempts_failed,
                "retries": self.callback_retries,
                "dropped": self.callbacks_dropped,
                "not_sent": self.callbacks_not_sent,
                "by_event": dict(self.callbacks_by_event),
                "webhook_checks": self.webhook_checks,
            },
        }
