"""The statements recording votes needs, on a SQLAlchemy Connection: for votes recorded
outside the inbox's batch (the scheduler's beat matching pending votes, a poll closing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, insert, select, text

from core.storage.models import Contact, Reply


class ConnectionStatements:
    """core.polls.ballot.model.VoteStatements inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        dialect = conn.dialect
        self._at = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)

    def contacts(self, channel: str, external_ids: Sequence[str]) -> Sequence[Any]:
        return self.conn.execute(select(Contact.id, Contact.external_id, Contact.person_id)
                                 .where(Contact.channel == channel,
                                        Contact.external_id.in_(list(external_ids)))).all()

    def rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.conn.execute(text(sql), params)]

    def execute_many(self, sql: str, params: Sequence[dict[str, Any]]) -> None:
        self.conn.execute(text(sql), list(params))

    def insert_replies(self, rows: Sequence[Any]) -> None:
        self.conn.execute(insert(Reply), [
            {"channel": row.channel, "contact_id": row.contact_id, "inbound_id": row.inbound_id,
             "content": row.content, "status": "pending", "next_attempt_at": 0.0}
            for row in rows])

    def stamp(self, at: datetime) -> Any:
        """As a DateTime column stores it, so plain SQL compares it with stored times."""
        return at if self._at is None else self._at(at)
