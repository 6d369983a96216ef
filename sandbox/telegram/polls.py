"""Polls sent by bots: their state, votes and JSON (Poll, PollAnswer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import MemberActionError


@dataclass
class PollState:
    id: str
    token: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    is_anonymous: bool = True
    type: str = "regular"
    allows_multiple_answers: bool = False
    allows_revoting: bool = True
    is_closed: bool = False
    correct_option_ids: list[int] | None = None
    votes: dict[int, tuple[int, ...]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def persistent_id(self, index: int) -> str:
        return str(index)

    def counts(self) -> list[int]:
        counts = [0] * len(self.options)
        for chosen in self.votes.values():
            for index in chosen:
                counts[index] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        counts = self.counts()
        poll: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "options": [
                {"persistent_id": self.persistent_id(i), "text": text, "voter_count": counts[i]}
                for i, text in enumerate(self.options)
            ],
            "total_voter_count": sum(1 for chosen in self.votes.values() if chosen),
            "is_closed": self.is_closed,
            "is_anonymous": self.is_anonymous,
            "type": self.type,
            "allows_multiple_answers": self.allows_multiple_answers,
            "allows_revoting": self.allows_revoting,
            "members_only": False,
        }
        if self.correct_option_ids is not None:
            poll["correct_option_ids"] = list(self.correct_option_ids)
        poll.update(self.extra)
        return poll

    def vote(self, user_id: int, option_ids: list[int]) -> tuple[int, ...]:
        """Apply a member's answer (empty = retract) with the checks a Telegram client meets."""
        if self.is_closed:
            raise MemberActionError("the poll is closed")
        chosen = tuple(sorted(set(option_ids)))
        if any(i < 0 or i >= len(self.options) for i in chosen):
            raise MemberActionError(f"the poll has options 0..{len(self.options) - 1}")
        if len(chosen) > 1 and not self.allows_multiple_answers:
            raise MemberActionError("the poll allows one answer")
        previous = self.votes.get(user_id, ())
        if previous and not self.allows_revoting:
            raise MemberActionError("the poll does not allow changing the answer")
        if chosen:
            self.votes[user_id] = chosen
        else:
            self.votes.pop(user_id, None)
        return chosen

    def answer_json(self, user: dict[str, Any], chosen: tuple[int, ...]) -> dict[str, Any]:
        return {
            "poll_id": self.id,
            "user": user,
            "option_ids": list(chosen),
            "option_persistent_ids": [self.persistent_id(i) for i in chosen],
        }
