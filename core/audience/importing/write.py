"""Writing one planned batch: organisations, people, tags, contacts and their consents,
each as one bulk statement (or a few, in chunks)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.audience.directory import OrgCache
from core.audience.importing.plan import BatchOutcome, Plan, chunks
from core.audience.importing.statements import ImportStatements, NewPerson
from core.audience.roles import Role


def _insert_people(sql: ImportStatements, plans: Sequence[Plan], orgs: OrgCache,
                   now: datetime) -> None:
    """Insert, then match the ids returned to the plans by the unique (org, name, member id
    key)."""
    if not plans:
        return
    people: list[NewPerson] = [
        (orgs.by_path[plan.row.org_path].id, plan.row.full_name, plan.row.member_id or "",
         Role.MEMBER if plan.row.roles is None else plan.row.roles)
        for plan in plans
    ]
    ids = sql.insert_people(people, now)
    for plan, (org_id, name, key, _) in zip(plans, people, strict=True):
        plan.person_id = ids[(org_id, name, key)]


def _update_people(sql: ImportStatements, plans: Sequence[Plan], orgs: OrgCache) -> None:
    by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for plan in plans:
        if "org_id" in plan.changes:
            plan.changes["org_id"] = orgs.by_path[plan.row.org_path].id
        if plan.changes:
            columns = tuple(sorted(plan.changes))
            by_columns[columns].append(
                (*(plan.changes[column] for column in columns), plan.person_id)
            )
    for columns, rows in by_columns.items():
        sql.update_people(columns, rows)


def _replace_tags(sql: ImportStatements, plans: Sequence[Plan]) -> None:
    replaced = [plan.person_id for plan in plans if plan.tags_changed]
    for part in chunks(replaced):
        sql.replace_tags(part)
    tags = [
        (plan.person_id, tag)
        for plan in plans
        if plan.row.tags and (plan.tags_changed or plan.person is None)
        for tag in sorted(plan.row.tags)
    ]
    if tags:
        sql.insert_tags(tags)


def _insert_contacts(sql: ImportStatements, plans: Sequence[Plan], now: datetime) -> int:
    """New contacts, active, each with its consent."""
    new = [
        (plan.person_id, channel, external_id)
        for plan in plans
        for channel, external_id in plan.new_contacts
    ]
    if not new:
        return 0
    ids = sql.insert_contacts(new, now)
    sql.insert_consents([
        (person_id, ids[(channel, external_id)], channel)
        for person_id, channel, external_id in new
    ], now)
    return len(new)


def _link_contacts(sql: ImportStatements, plans: Sequence[Plan], now: datetime) -> int:
    """Attach a contact nobody owns yet; a pending one (no consent yet) becomes active."""
    links = [(plan.person_id, contact) for plan in plans for contact in plan.linked]
    pending = [(person_id, c) for person_id, c in links if c.status == "pending"]
    others = [(person_id, c.id) for person_id, c in links if c.status != "pending"]
    if pending:
        sql.link_contacts([(c.id, person_id) for person_id, c in pending], now, activate=True)
        sql.insert_consents([(person_id, c.id, c.channel) for person_id, c in pending], now)
    if others:
        sql.link_contacts([(cid, person_id) for person_id, cid in others], now, activate=False)
    return len(links)


def write_batch(
    sql: ImportStatements, plans: Sequence[Plan], orgs: OrgCache, now: datetime,
    outcome: BatchOutcome,
) -> None:
    """Apply the plans: organisations, people, tags, contacts and their consents."""
    orgs.ensure(
        sql.conn, [p.row.org_path for p in plans if p.person is None or "org_id" in p.changes]
    )
    new = [plan for plan in plans if plan.person is None]
    for plan in plans:
        if plan.person is not None:
            plan.person_id = plan.person.id
    _insert_people(sql, new, orgs, now)
    _update_people(sql, plans, orgs)
    _replace_tags(sql, plans)
    outcome.contacts_created += _insert_contacts(sql, plans, now)
    outcome.contacts_linked += _link_contacts(sql, plans, now)
    outcome.created += len(new)
    changed = sum(1 for p in plans if p.person is not None and (p.changes or p.tags_changed))
    outcome.updated += changed
    outcome.unchanged += len(plans) - len(new) - changed
