"""A poll as the press secretary asks it, checked against the platforms' limits, and the
small formats every part of the feature shares: vote payloads and voter keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.polls import texts
from core.ports import Button

# Telegram sendPoll (specs/telegram/api.json, Bot API 10.x): question 1-300 characters,
# options 1-100 characters; Rupor's own polls take 2-10 options, which also fit a VK inline
# keyboard (at most 10 buttons, PLATFORMS.md).
QUESTION_MAX = 300
OPTION_MAX = 100
OPTIONS_MIN, OPTIONS_MAX = 2, 10
DEFAULT_AUDIENCE = "role:young_teacher"
VOTE_PREFIX = "vote:"
CHOSEN_MARK = "✅ "


class PollError(ValueError):
    """A poll that cannot be created or changed; the message (Russian) reaches a person."""


@dataclass(frozen=True)
class NewPoll:
    question: str
    options: tuple[str, ...]
    closes_at: datetime
    multiple: bool = False
    anonymous: bool = False
    audience: str = DEFAULT_AUDIENCE
    remind_at: datetime | None = None
    start_at: datetime | None = None  # None: now
    created_by: str = "cli"  # "cli", or the creating account as "<channel>:<account id>"
    announce_members: bool = False  # "сообщить итоги участникам" at closing


def check(new: NewPoll, now: datetime) -> None:
    """Raise PollError for what no messenger could show or no deadline could mean."""
    question = new.question.strip()
    if not question:
        raise PollError(texts.QUESTION_EMPTY)
    if len(question) > QUESTION_MAX:
        raise PollError(texts.QUESTION_LONG.format(limit=QUESTION_MAX, length=len(question)))
    if not OPTIONS_MIN <= len(new.options) <= OPTIONS_MAX:
        raise PollError(texts.OPTIONS_COUNT.format(
            low=OPTIONS_MIN, high=OPTIONS_MAX, count=len(new.options)))
    _check_options(new.options)
    start = new.start_at or now
    if new.closes_at <= now:
        raise PollError(texts.DEADLINE_PASSED)
    if new.closes_at <= start:
        raise PollError(texts.DEADLINE_BEFORE_START)
    if new.remind_at is not None and not start <= new.remind_at < new.closes_at:
        raise PollError(texts.REMIND_OUTSIDE)


def _check_options(options: Sequence[str]) -> None:
    seen: set[str] = set()
    for index, option in enumerate(options, start=1):
        option = option.strip()
        if not option:
            raise PollError(texts.OPTION_EMPTY.format(index=index))
        if len(option) > OPTION_MAX:
            raise PollError(texts.OPTION_LONG.format(
                index=index, limit=OPTION_MAX, length=len(option)))
        if option.casefold() in seen:
            raise PollError(texts.OPTION_TWICE.format(option=option))
        seen.add(option.casefold())


def vote_payload(poll_id: int, index: int) -> str:
    """The button payload of one option, as the VK and Viber adapters send it."""
    return f"{VOTE_PREFIX}{poll_id}:{index}"


def parse_vote(payload: str) -> tuple[int, int] | None:
    """(poll id, option index) of a vote button's payload; None for any other payload."""
    if not payload.startswith(VOTE_PREFIX):
        return None
    poll, _, index = payload[len(VOTE_PREFIX):].partition(":")
    if not (poll.isdigit() and index.isdigit()):
        return None
    return int(poll), int(index)


def voter_of(person_id: int | None, contact_id: int) -> str:
    """One vote per person: the person when the contact is linked, else the contact."""
    return f"p:{person_id}" if person_id is not None else f"c:{contact_id}"


def ballot_key(salt: str, voter: str) -> str:
    """An anonymous ballot's key: without the poll's salt (deleted at closing) it says
    nothing about the voter."""
    return hmac.new(salt.encode(), voter.encode(), hashlib.sha256).hexdigest()


def vote_buttons(
    poll_id: int, options: Sequence[str], chosen: Sequence[int] = ()
) -> tuple[tuple[Button, ...], ...]:
    """One button per option, one per row; the member's current choice marked."""
    return tuple(
        (Button((CHOSEN_MARK if index in chosen else "") + option,
                payload=vote_payload(poll_id, index)),)
        for index, option in enumerate(options)
    )


def choice_text(options: Sequence[str], chosen: Sequence[int]) -> str:
    return ", ".join(f"«{options[i]}»" for i in sorted(chosen) if 0 <= i < len(options))
