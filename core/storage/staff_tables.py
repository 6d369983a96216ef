"""The staff chat's forum topics (core.staff.topics owns them): in a group chat divided into
topics (a Telegram forum supergroup) every member has one topic, where their questions are
posted and where staff answer by writing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base, BigId, utcnow


class StaffTopic(Base):
    """A member's topic in one staff chat. The row is claimed (thread_id NULL, claimed_at
    set) under the unique key before the platform is asked to create the topic, so two
    rounds or two processes create one topic; `thread_id` is the platform's topic id."""

    __tablename__ = "staff_topics"
    __table_args__ = (
        UniqueConstraint("channel", "chat", "member"),
        Index("ix_staff_topics_thread", "channel", "chat", "thread_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(64))
    # "p<person id>", or "c<contact id>" for an account never linked to a person.
    member: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("people.id"))
    contact_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contacts.id"))
    name: Mapped[str] = mapped_column(String(128))
    thread_id: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[float] = mapped_column(server_default="0")  # epoch seconds
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
