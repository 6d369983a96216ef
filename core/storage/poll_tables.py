"""The poll tables: polls, where each poll landed, and the votes — kept apart from the
other tables so that an anonymous vote has a storage of its own (docs/design.md, "Polls").

- `votes`: a named poll's vote per voter ("p:<person id>", or "c:<contact id>" while the
  contact is unlinked), with the person: results may name who chose what.
- `poll_voters` + `poll_ballots`: an anonymous poll. `poll_voters` says only *who* has
  voted (for reminders and one vote per person); `poll_ballots` holds the choices under a
  key that is an HMAC of the voter with the poll's own `ballot_salt`, plus the district.
  No column of a ballot names or references a person, the tables are WITHOUT ROWID on
  SQLite (rows kept in key order, not insertion order, so row order cannot pair a ballot
  with a voter row), and at closing the counts move to `poll_tallies` and both the ballots
  and the salt are deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base, BigId, utcnow


class Poll(Base):
    __tablename__ = "polls"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    question: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[Any]]
    allows_multiple: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    anonymous: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    audience: Mapped[str] = mapped_column(Text, server_default="role:young_teacher")
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # Anonymous polls: the key of the ballots' HMAC while the poll is open; NULL once closed.
    ballot_salt: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    # "Сообщить итоги участникам": the results go to the members the poll reached at closing.
    announce_members: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))
    announced_at: Mapped[datetime | None]  # the results were queued to everyone told


class PollMessage(Base):
    """Where a poll landed for one contact: Telegram's poll id, the message to edit or stop."""

    __tablename__ = "poll_messages"
    __table_args__ = (
        UniqueConstraint("poll_id", "contact_id"),
        Index("ix_poll_messages_platform", "channel", "platform_poll_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(16))
    platform_poll_id: Mapped[str | None] = mapped_column(String(64))
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    # A native poll's stop queued at closing (the paced reply path calls stopPoll; the
    # reply row keeps its outcome): set once, so a poll is never stopped twice.
    stopped_at: Mapped[datetime | None]


class Vote(Base):
    """One vote per poll and voter of a named poll: the person, or the contact while it is
    unlinked; a withdrawn vote is deleted."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("poll_id", "voter"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"))
    voter: Mapped[str] = mapped_column(String(40))  # "p:<person id>" or "c:<contact id>"
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    option_ids: Mapped[list[Any]]
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollVoter(Base):
    """Who has voted in an anonymous poll (not what): reminders skip them."""

    __tablename__ = "poll_voters"
    __table_args__ = {"sqlite_with_rowid": False}
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    voter: Mapped[str] = mapped_column(String(40), primary_key=True)


class PollBallot(Base):
    """An anonymous poll's current choice of one voter, under HMAC(ballot_salt, voter)."""

    __tablename__ = "poll_ballots"
    __table_args__ = {"sqlite_with_rowid": False}
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    ballot_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    option_ids: Mapped[list[Any]]
    district_id: Mapped[int | None] = mapped_column(Integer)


class PollTally(Base):
    """A closed anonymous poll's counts: voters per option and district (district_id 0: a
    voter outside any district), and option -1 the voters themselves."""

    __tablename__ = "poll_tallies"
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id"), primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    option: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class PollPendingVote(Base):
    """A vote that came before the record of where its poll landed (poll_messages: written
    by the sender after the platform answered): kept unmatched, matched once that record
    lands, dropped when its poll closes or after core.polls.pending.PENDING_TTL. Telegram
    names the poll by its platform id (known from sendPoll's answer only), buttons (VK,
    Viber) by our poll id."""

    __tablename__ = "poll_pending_votes"
    __table_args__ = (Index("ix_poll_pending_votes_contact", "contact_id"),)
    inbound_id: Mapped[int] = mapped_column(BigId, ForeignKey("inbound.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int] = mapped_column(BigId, ForeignKey("contacts.id"))
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id"))
    platform_poll_id: Mapped[str | None] = mapped_column(String(64))
