"""The monthly staff reports the Informational Digest is compiled from (core.digest owns
them): one row per /отчёт a staff account sends; several in one month are all kept, in
order, and the digest prints them one after another."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base, BigId, utcnow


class StaffReport(Base):
    """A staff account's report for a month ("2026-11"): its text and the files sent with
    it ([{"media_id", "filename", "mime"}], the bytes in `media`)."""

    __tablename__ = "staff_reports"
    __table_args__ = (Index("ix_staff_reports_month", "month", "channel", "account"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
