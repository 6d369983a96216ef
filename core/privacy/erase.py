"""Erasing a person on request, in one transaction: their contacts become tombstones whose
messenger ids are replaced by placeholders, their name, card number, roles and tags go,
what they wrote is blanked, replies to them are deleted, deliveries and votes are kept for
the figures but point at nobody who can be named, and the audit log says who erased whom,
when, and how many rows changed — never what was erased (docs/design.md, "Personal data").
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.access.audit import record
from core.privacy import mentions
from core.privacy.subject import Subject, subject_of, table, where
from core.privacy.tables import ACCOUNT, ACTOR, FINDERS, OWN_INBOUND
from core.storage.models import (
    Consent,
    Contact,
    Delivery,
    Inbound,
    LinkCode,
    Person,
    PersonTag,
    Reply,
    utcnow,
)

ERASED = "erased"  # a tombstone contact's status: nothing is ever sent to it


def placeholder(contact_id: int) -> str:
    """What replaces a messenger id: the tombstone's own row id, so nothing leads back."""
    return f"erased-{contact_id}"


async def erase(
    conn: AsyncConnection, person_id: int | None, by: str, *, channel: str | None = None,
    contact_id: int | None = None, keep_until_sent: int | None = None,
) -> dict[str, int]:
    """Erase the person (or the one unlinked contact); rows changed per table. The contact
    `keep_until_sent` keeps its messenger id until its last reply is sent (release)."""
    who = await subject_of(conn, person_id, contact_id)
    counts: dict[str, int] = {}
    for name, statement in _blanking(who):
        counts[name] = counts.get(name, 0) + _rows(await conn.execute(statement))
    counts["votes"] = await _rekey(conn, "votes", who)
    counts["poll_voters"] = await _rekey(conn, "poll_voters", who)
    names = {account: placeholder(cid) for cid, (_, account) in zip(
        who.contact_ids, who.accounts, strict=True)}
    counts["audit_details"] = await mentions.scrub(conn, who, names)
    counts.update(await _rename_accounts(conn, who))
    counts["consents"] = await _record_erasure(conn, who)
    counts["contacts"] = await _tombstones(conn, who, keep_until_sent)
    if person_id is not None:
        counts["people"] = _rows(await conn.execute(
            update(Person).where(Person.id == person_id).values(
                full_name="", member_id=None, member_id_key=f"erased:{person_id}", roles=0,
                erased_at=utcnow())))
    details: dict[str, Any] = {"person_id": person_id, "rows": {k: v for k, v in counts.items()
                                                                 if v}}
    await record(conn, by, "people.erase", details, channel=channel)
    return counts


def _blanking(who: Subject) -> list[tuple[str, Any]]:
    """Statements that remove or blank rows; replies first (they point at the inbound)."""
    ids = who.contact_ids or (-1,)
    written = where("inbound", OWN_INBOUND, who)
    own_inbound = select(Inbound.id).where(written)
    person = who.person_id if who.person_id is not None else -1
    mine = or_(Delivery.person_id == person, Delivery.contact_id.in_(ids))
    return [
        ("replies", delete(Reply).where(
            or_(Reply.contact_id.in_(ids), Reply.inbound_id.in_(own_inbound)))),
        ("poll_pending_votes", delete(table("poll_pending_votes")).where(
            where("poll_pending_votes", FINDERS["poll_pending_votes"], who))),  # their events go
        ("inbound", update(Inbound).where(written).values(
            text=None, event={}, handled_at=utcnow())),
        ("deliveries", update(Delivery).where(mine, Delivery.status.in_(("pending", "paused")))
         .values(status="unsubscribed")),
        ("deliveries", update(Delivery).where(mine).values(
            contact_id=None, recipient=None, platform_message_id=None, error=None)),
        ("person_tags", delete(PersonTag).where(PersonTag.person_id == person)),
        ("link_codes", delete(LinkCode).where(LinkCode.person_id == person)),
        ("admin_grants", delete(table("admin_grants")).where(
            where("admin_grants", {"external_id": ACCOUNT}, who))),
        # Their forum topic in the staff chat is named after them (the topic itself, on the
        # platform, is the staff's to delete).
        ("staff_topics", delete(table("staff_topics")).where(
            where("staff_topics", FINDERS["staff_topics"], who))),
    ]


async def _rekey(conn: AsyncConnection, name: str, who: Subject) -> int:
    """A vote keeps its choice under a random voter key; the person and contact go."""
    t = table(name)
    keys = list(t.primary_key.columns)
    rows = (await conn.execute(select(*keys).where(where(name, FINDERS[name], who)))).all()
    values: dict[str, Any] = {"contact_id": None} if "contact_id" in t.c else {}
    for row in rows:
        match = [column == value for column, value in zip(keys, row, strict=True)]
        values["voter"] = f"anon:{secrets.token_hex(8)}"
        await conn.execute(update(t).where(*match).values(values))
    return len(rows)


async def _rename_accounts(conn: AsyncConnection, who: Subject) -> dict[str, int]:
    """Where one of their accounts is named as who did something, its placeholder instead."""
    counts: dict[str, int] = {}
    for contact_id, (channel, account) in zip(who.contact_ids, who.accounts, strict=True):
        for name, column, found, new in _renamings(contact_id, channel, account):
            done = await conn.execute(update(table(name)).where(found).values({column: new}))
            counts[name] = counts.get(name, 0) + _rows(done)
    return counts


def _renamings(contact_id: int, channel: str, account: str) -> list[tuple[str, str, Any, str]]:
    """(table, column, condition, new value) for "<channel>:<id>" and bare-id columns."""
    actor, bare = f"{channel}:{account}", placeholder(contact_id)
    changes = []
    for name, finders in FINDERS.items():
        t = table(name)
        for column, kind in finders.items():
            if kind in (ACTOR, ACCOUNT):
                changes.append((name, column, t.c[column] == actor, f"{channel}:{bare}"))
            if kind == ACCOUNT:
                found = (t.c[column] == account) & (t.c.channel == channel)
                changes.append((name, column, found, bare))
    return changes


async def _record_erasure(conn: AsyncConnection, who: Subject) -> int:
    """The consent log is kept (the proof of what was agreed, when); erasure closes it."""
    rows = [{"person_id": who.person_id, "contact_id": cid, "channel": channel,
             "text_version": "-", "source": "erase", "action": ERASED}
            for cid, (channel, _) in zip(who.contact_ids, who.accounts, strict=True)]
    if rows:
        await conn.execute(insert(Consent), rows)
    return len(rows)


async def _tombstones(conn: AsyncConnection, who: Subject, keep: int | None) -> int:
    values: dict[str, Any] = {
        "person_id": None, "status": ERASED, "display_name": None, "dialog_state": None,
        "subscribed_at": None, "last_inbound_at": None,
    }
    done = 0
    for contact_id in who.contact_ids:
        now = dict(values) if contact_id == keep else {**values,
                                                       "external_id": placeholder(contact_id)}
        done += _rows(await conn.execute(update(Contact).where(Contact.id == contact_id)
                                         .values(now)))
    return done


_RELEASE = (
    "UPDATE contacts SET external_id = 'erased-' || CAST(id AS VARCHAR) "
    "WHERE id = :cid AND status = 'erased' AND external_id NOT LIKE 'erased-%' "
    "AND NOT EXISTS (SELECT 1 FROM replies r WHERE r.contact_id = contacts.id "
    "AND r.status IN ('pending', 'claimed'))"
)


async def release(conn: AsyncConnection, contact_id: int) -> None:
    """An erased contact's last reply is done: its messenger id goes too."""
    await conn.execute(text(_RELEASE), {"cid": contact_id})


def _rows(result: Any) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
