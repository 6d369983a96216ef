"""What the emulated VK saw, as counters; `as_dict()` is what /__sandbox/stats serves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.limits import SlidingWindow


def _by_key(counter: Counter[Any]) -> dict[str, int]:
    return {str(key): count for key, count in sorted(counter.items(), key=lambda kv: str(kv[0]))}


@dataclass
class VkStats:
    """Counters of calls, sends, limits, faults, uploads and event deliveries."""

    requests_by_token: Counter[str] = field(default_factory=Counter)
    requests_by_method: Counter[str] = field(default_factory=Counter)
    errors_by_code: Counter[int] = field(default_factory=Counter)
    accepted_by_peer: Counter[int] = field(default_factory=Counter)
    per_peer_errors: Counter[int] = field(default_factory=Counter)
    error_6_by_token: Counter[str] = field(default_factory=Counter)
    uploads: Counter[str] = field(default_factory=Counter)
    upload_errors: int = 0
    random_id_dedups: int = 0
    validation_errors: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    callback: Counter[str] = field(default_factory=Counter)
    longpoll: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    # Every arrival per token, accepted or not: the busiest 1 s window the platform saw.
    arrivals: dict[str, SlidingWindow] = field(default_factory=dict)

    def arrived(self, token: str, now: float, window_s: float) -> None:
        window = self.arrivals.get(token)
        if window is None:
            window = self.arrivals[token] = SlidingWindow(limit=2**31, window_s=window_s)
        window.record(now)
        self.requests_by_token[token] += 1

    def as_dict(self, violations: int, violations_by_token: dict[str, int]) -> dict[str, Any]:
        busiest = {token: w.max_in_window for token, w in sorted(self.arrivals.items())}
        return {
            "requests_total": sum(self.requests_by_method.values()),
            "requests_by_token": _by_key(self.requests_by_token),
            "requests_by_method": _by_key(self.requests_by_method),
            "accepted_messages_total": sum(self.accepted_by_peer.values()),
            "accepted_messages_by_peer": _by_key(self.accepted_by_peer),
            "per_peer_errors": _by_key(self.per_peer_errors),
            "errors_by_code": _by_key(self.errors_by_code),
            "error_6_total": sum(self.error_6_by_token.values()),
            "error_6_by_token": _by_key(self.error_6_by_token),
            "violations": violations,
            "violations_by_token": dict(sorted(violations_by_token.items())),
            "max_requests_in_1s": max(busiest.values(), default=0),
            "max_requests_in_1s_by_token": busiest,
            "uploads_total": sum(self.uploads.values()),
            "uploads": _by_key(self.uploads),
            "upload_errors": self.upload_errors,
            "random_id_dedups": self.random_id_dedups,
            "validation_errors": self.validation_errors,
            "faults_injected": _by_key(self.faults),
            "callback": _by_key(self.callback),
            "longpoll": _by_key(self.longpoll),
            "events": _by_key(self.events),
        }
