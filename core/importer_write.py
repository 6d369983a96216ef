"""Writing one planned batch: organisations, people, tags, contacts and their consents,
each as one bulk statement (or a few, in chunks), with SQLAlchemy Core on a Connection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Delete, Update, bindparam, delete, insert, update

from core.audience import IMPORT_CONSENT_VERSION, OrgCache
from core.importer_plan import TABLES, BatchOutcome, Plan, StoredContact, chunks
from core.roles import Role

PEOPLE, CONTACTS, TAGS = TABLES["people"], TABLES["contacts"], TABLES["person_tags"]
CONSENTS = TABLES["consents"]
# RETURNING the unique key rather than in parameter order: on SQLite, ordered RETURNING
# makes SQLAlchemy insert row by row; unordered, it is one multi-row INSERT per page.
_INSERT_PEOPLE = insert(PEOPLE).returning(
    PEOPLE.c.org_id, PEOPLE.c.full_name, PEOPLE.c.member_id_key, PEOPLE.c.id
)
_INSERT_CONTACTS = insert(CONTACTS).returning(
    CONTACTS.c.channel, CONTACTS.c.external_id, CONTACTS.c.id
)
_INSERT_CONSENTS = insert(CONSENTS)
_INSERT_TAGS = insert(TAGS)
_DELETE_TAGS: Delete = delete(TAGS).where(
    TAGS.c.person_id.in_(bindparam("person_ids", expanding=True))
)
_LINK = update(CONTACTS).where(CONTACTS.c.id == bindparam("c_id")).values(
    person_id=bindparam("c_person"), updated_at=bindparam("c_at")
)
_LINK_PENDING = _LINK.values(status="active", subscribed_at=bindparam("c_at"))


@lru_cache(maxsize=32)
def _update_people(columns: tuple[str, ...]) -> Update:
    """UPDATE people SET these columns WHERE id = :p_id, parameters named "u_<column>"."""
    return update(PEOPLE).where(PEOPLE.c.id == bindparam("p_id")).values(
        {column: bindparam(f"u_{column}") for column in columns}
    )


def _insert_people(conn: Connection, plans: Sequence[Plan], orgs: OrgCache,
                   now: datetime) -> None:
    """Insert, then match the ids returned to the plans by the unique (org, name, member id
    key)."""
    if not plans:
        return
    keys = [
        (orgs.by_path[plan.row.org_path].id, plan.row.full_name, plan.row.member_id or "")
        for plan in plans
    ]
    result: Iterable[Any] = conn.execute(_INSERT_PEOPLE, [
        {
            "full_name": name, "org_id": org_id, "member_id": key or None, "member_id_key": key,
            "roles": Role.MEMBER if plan.row.roles is None else plan.row.roles,
            "created_at": now,
        }
        for plan, (org_id, name, key) in zip(plans, keys, strict=True)
    ])
    ids = {(org_id, name, key): person_id for org_id, name, key, person_id in result}
    for plan, key in zip(plans, keys, strict=True):
        plan.person_id = ids[key]


def _apply_updates(conn: Connection, plans: Sequence[Plan], orgs: OrgCache) -> None:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for plan in plans:
        if "org_id" in plan.changes:
            plan.changes["org_id"] = orgs.by_path[plan.row.org_path].id
        if plan.changes:
            columns = tuple(sorted(plan.changes))
            by_columns[columns].append(
                {"p_id": plan.person_id, **{f"u_{k}": v for k, v in plan.changes.items()}}
            )
    for columns, params in by_columns.items():
        conn.execute(_update_people(columns), params)


def _replace_tags(conn: Connection, plans: Sequence[Plan]) -> None:
    replaced = [plan.person_id for plan in plans if plan.tags_changed]
    for part in chunks(replaced):
        conn.execute(_DELETE_TAGS, {"person_ids": part})
    rows = [
        {"person_id": plan.person_id, "tag": tag}
        for plan in plans
        if plan.row.tags and (plan.tags_changed or plan.person is None)
        for tag in sorted(plan.row.tags)
    ]
    if rows:
        conn.execute(_INSERT_TAGS, rows)


def _consent(person_id: int, contact_id: int, channel: str, now: datetime) -> dict[str, Any]:
    return {
        "person_id": person_id, "contact_id": contact_id, "channel": channel,
        "text_version": IMPORT_CONSENT_VERSION, "source": "import", "given_at": now,
    }


def _insert_contacts(conn: Connection, plans: Sequence[Plan], now: datetime) -> int:
    """New contacts, active, each with its consent."""
    new = [
        (plan.person_id, channel, external_id)
        for plan in plans
        for channel, external_id in plan.new_contacts
    ]
    if not new:
        return 0
    result: Iterable[Any] = conn.execute(_INSERT_CONTACTS, [
        {
            "person_id": person_id, "channel": channel, "external_id": external_id,
            "kind": "user", "status": "active", "subscribed_at": now, "updated_at": now,
        }
        for person_id, channel, external_id in new
    ])
    ids = {(channel, external_id): contact_id for channel, external_id, contact_id in result}
    conn.execute(_INSERT_CONSENTS, [
        _consent(person_id, ids[(channel, external_id)], channel, now)
        for person_id, channel, external_id in new
    ])
    return len(new)


def _link_contacts(conn: Connection, plans: Sequence[Plan], now: datetime) -> int:
    """Attach a contact nobody owns yet; a pending one (no consent yet) becomes active."""
    links = [(plan.person_id, contact) for plan in plans for contact in plan.linked]
    pending = [(person_id, c) for person_id, c in links if c.status == "pending"]
    others = [(person_id, c) for person_id, c in links if c.status != "pending"]
    for statement, part in ((_LINK_PENDING, pending), (_LINK, others)):
        if part:
            conn.execute(statement, [_link(person_id, c, now) for person_id, c in part])
    if pending:
        conn.execute(_INSERT_CONSENTS, [
            _consent(person_id, contact.id, contact.channel, now) for person_id, contact in pending
        ])
    return len(links)


def _link(person_id: int, contact: StoredContact, now: datetime) -> dict[str, Any]:
    return {"c_id": contact.id, "c_person": person_id, "c_at": now}


def write_batch(
    conn: Connection, plans: Sequence[Plan], orgs: OrgCache, now: datetime,
    outcome: BatchOutcome,
) -> None:
    """Apply the plans: organisations, people, tags, contacts and their consents."""
    orgs.ensure(conn, [p.row.org_path for p in plans if p.person is None or "org_id" in p.changes])
    new = [plan for plan in plans if plan.person is None]
    for plan in plans:
        if plan.person is not None:
            plan.person_id = plan.person.id
    _insert_people(conn, new, orgs, now)
    _apply_updates(conn, plans, orgs)
    _replace_tags(conn, plans)
    outcome.contacts_created += _insert_contacts(conn, plans, now)
    outcome.contacts_linked += _link_contacts(conn, plans, now)
    outcome.created += len(new)
    changed = sum(1 for p in plans if p.person is not None and (p.changes or p.tags_changed))
    outcome.updated += changed
    outcome.unchanged += len(plans) - len(new) - changed
