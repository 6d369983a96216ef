"""A contact's status as the platforms report it: blocked, unsubscribed or unreachable
(a wrong id) contacts leave every pending delivery at once, so no campaign reaches them
from the next batch on."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.storage.models import Contact, Delivery, utcnow

# The delivery status a contact's status leaves its pending deliveries in, where the two
# differ: a contact unreachable at its id says "wrong id" in the reach report.
DELIVERY_STATUS = {"unreachable": "wrong_id"}


async def mark_contacts(conn: AsyncConnection, statuses: dict[int, str]) -> None:
    """Contacts that blocked or left: no campaign reaches them from the next batch on."""
    for statement, params in mark_statements(statuses):
        await conn.execute(statement, params)


def mark_statements(statuses: dict[int, str]) -> list[tuple[Any, list[dict[str, Any]]]]:
    params = [
        {"c_id": cid, "c_status": status, "d_status": DELIVERY_STATUS.get(status, status)}
        for cid, status in statuses.items()
    ]
    return [
        (
            update(Contact)
            .where(Contact.id == bindparam("c_id"))
            .values(status=bindparam("c_status"), updated_at=utcnow()),
            params,
        ),
        (
            update(Delivery)
            .where(Delivery.contact_id == bindparam("c_id"), Delivery.status == "pending")
            .values(status=bindparam("d_status"), updated_at=time.time()),
            params,
        ),
    ]
