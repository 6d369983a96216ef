"""Counters of what the emulated platform saw, served as JSON at /__sandbox/stats."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StatsBook:
    sends_by_bot: Counter[str] = field(default_factory=Counter)
    sends_by_chat: Counter[str] = field(default_factory=Counter)
    calls_by_method: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    validation_errors: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    injected_429: int = 0
    injected_5xx: int = 0
    injected_timeouts: int = 0
    webhook_posts: int = 0
    webhook_failures: int = 0
    updates_created: int = 0

    def record_send(self, bot_id: int, chat_id: int) -> None:
        self.sends_by_bot[str(bot_id)] += 1
        self.sends_by_chat[str(chat_id)] += 1

    def record_error(self, code: int, description: str, validation: bool) -> None:
        self.errors[f"{code} {description}"] += 1
        if code == 429:
            self.too_many_requests += 1
        if validation:
            self.validation_errors[description] += 1

    def snapshot(self, gate_part: dict[str, Any], files_part: dict[str, Any]) -> dict[str, Any]:
        """Flat keys shared with the VK and Viber emulators where the meaning is the same."""
        codes: Counter[str] = Counter()
        for key, count in self.errors.items():
            codes[key.split(" ", 1)[0]] += count
        return {
            "requests_total": sum(self.calls_by_method.values()),
            "requests_by_method": dict(self.calls_by_method),
            "accepted_messages_total": sum(self.sends_by_bot.values()),
            "accepted_messages_by_chat": dict(self.sends_by_chat),
            "accepted_messages_by_bot": dict(self.sends_by_bot),
            "rate_limited": self.too_many_requests,
            **gate_part,
            **files_part,
            "validation_errors": sum(self.validation_errors.values()),
            "validation_error_descriptions": dict(self.validation_errors),
            "errors_by_code": dict(codes),
            "errors": dict(self.errors),
            "faults_injected": {
                "429": self.injected_429,
                "5xx": self.injected_5xx,
                "timeouts": self.injected_timeouts,
            },
            "updates_created": self.updates_created,
            "webhook": {"posts": self.webhook_posts, "failures": self.webhook_failures},
        }
