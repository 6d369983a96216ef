"""The person whose data is asked for, and the SQL condition that finds them in a table
(core.privacy.tables says which columns, and how)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.privacy.tables import ACCOUNT, ACTOR, CONTACT, PERSON, SENDER, VOTER
from core.storage import digest_tables, poll_tables  # noqa: F401  (their tables in Base.metadata)
from core.storage.models import Base, Contact


@dataclass(frozen=True)
class Subject:
    """A person (None: a messenger account never linked to one) and their accounts."""

    person_id: int | None
    contact_ids: tuple[int, ...]
    accounts: tuple[tuple[str, str], ...]  # (channel, external id)

    @property
    def voters(self) -> list[str]:
        keys = [f"c:{cid}" for cid in self.contact_ids]
        return keys if self.person_id is None else [f"p:{self.person_id}", *keys]

    @property
    def actors(self) -> list[str]:
        return [f"{channel}:{account}" for channel, account in self.accounts]


async def subject_of(
    conn: AsyncConnection, person_id: int | None, contact_id: int | None = None
) -> Subject:
    """The person's contacts (or the one unlinked contact) as they are now."""
    query = select(Contact.id, Contact.channel, Contact.external_id)
    query = query.where(
        Contact.person_id == person_id if person_id is not None else Contact.id == contact_id
    )
    rows = (await conn.execute(query.order_by(Contact.id))).all()
    return Subject(
        person_id,
        tuple(int(r.id) for r in rows),
        tuple((str(r.channel), str(r.external_id)) for r in rows),
    )


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def where(name: str, finders: dict[str, str], who: Subject) -> ColumnElement[bool]:
    """Rows of table `name` that point at `who` through any of its `finders`."""
    t, terms = table(name), []
    for column, kind in finders.items():
        col = t.c[column]
        if kind == PERSON and who.person_id is not None:
            terms.append(col == who.person_id)
        elif kind == CONTACT and who.contact_ids:
            terms.append(col.in_(who.contact_ids))
        elif kind == VOTER:
            terms.append(col.in_(who.voters))
        elif kind == ACTOR and who.accounts:
            terms.append(col.in_(who.actors))
        elif kind == ACCOUNT:  # a bare id next to its channel, or "<channel>:<id>"
            terms.extend(and_(t.c.channel == ch, col == acc) for ch, acc in who.accounts)
            terms.extend(col == actor for actor in who.actors)
        elif kind == SENDER:
            sender = col[("sender", "external_id")].as_string()
            terms.extend(and_(t.c.channel == ch, sender == acc) for ch, acc in who.accounts)
    return or_(*terms) if terms else false()
