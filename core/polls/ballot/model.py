"""What a batch of votes reads, and what it needs of the inbox's batch transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from core.ports import InboundEvent

Item = tuple[int, InboundEvent]  # (inbound id, event)


class ReplyToQueue(NamedTuple):
    """A reply row (the inbox's insert_replies takes these fields)."""

    channel: str
    contact_id: int
    inbound_id: int
    content: dict[str, Any]


class VoteStatements(Protocol):
    """What recording votes needs of the inbox's batch transaction."""

    def contacts(self, channel: str, external_ids: Sequence[str]) -> Sequence[Any]: ...

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]: ...

    def execute_many(self, sql: str, params: Sequence[dict[str, Any]]) -> None: ...

    def insert_replies(self, rows: Sequence[Any]) -> None: ...

    def stamp(self, at: datetime) -> Any:
        """A time as the database stores it (so it compares as stored)."""
        ...


@dataclass(frozen=True)
class PollRow:
    id: int
    question: str
    options: tuple[str, ...]
    multiple: bool
    anonymous: bool
    salt: str | None
    over: bool  # closed, or past its deadline
    closed: bool = False
    closes_at: Any = None  # as stored, to compare with a pending vote's inbound.received_at


@dataclass
class Landing:
    """A vote matched to the poll its contact got."""

    inbound_id: int
    event: InboundEvent
    contact_id: int
    voter: str
    person_id: int | None
    poll_id: int
    message_id: str | None  # the poll's message in the contact's chat
    received_at: Any = None  # a pending vote's inbound.received_at, as stored


@dataclass(frozen=True)
class Unmatched:
    """A vote of a known contact whose poll's landing is not recorded (yet)."""

    inbound_id: int
    event: InboundEvent
    contact_id: int


@dataclass
class Found:
    """What the batch's votes need, read with one query per kind."""

    polls: dict[int, PollRow] = field(default_factory=dict)
    landings: list[Landing] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    current: dict[tuple[int, str], tuple[int, ...]] = field(default_factory=dict)
    districts: dict[int, int | None] = field(default_factory=dict)  # person id -> district


def as_options(value: Any) -> tuple[int, ...]:
    """option_ids as stored (JSON text on SQLite, a list elsewhere)."""
    loaded = json.loads(value) if isinstance(value, str) else value
    return tuple(int(i) for i in loaded or ())


def named(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """":p0, :p1, …" and their parameters, for an IN list of any length."""
    params = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{name}" for name in params), params
