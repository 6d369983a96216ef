"""Deciding one batch of valid member rows: bulk look-ups, then a plan per row.

A person is found by member_id; failing that, by full name within the organisation (a
nameless match gets the member_id). Contacts owned by someone else reject the row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.audience.directory import OrgCache, OrgRef
from core.audience.importing.guard import OrgGuard
from core.audience.importing.rows import MemberRow, RowError
from core.audience.importing.statements import ImportStatements, Stored, StoredContact

__all__ = ["BatchOutcome", "Plan", "Stored", "StoredContact", "chunks", "plan_batch"]

CHUNK = 500  # bound parameters per IN (...): far below SQLite's and asyncpg's limits


@dataclass
class Plan:
    row: MemberRow
    person: Stored | None
    changes: dict[str, Any] = field(default_factory=dict)
    tags_changed: bool = False
    new_contacts: list[tuple[str, str]] = field(default_factory=list)
    linked: list[StoredContact] = field(default_factory=list)
    person_id: int = 0


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    contacts_created: int = 0
    contacts_linked: int = 0
    rejected: list[tuple[MemberRow, str]] = field(default_factory=list)


T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterable[Sequence[T]]:
    return (items[start:start + CHUNK] for start in range(0, len(items), CHUNK))


def _by_member_id(sql: ImportStatements, rows: Sequence[MemberRow]) -> dict[str, Stored]:
    ids = sorted({row.member_id for row in rows if row.member_id})
    found: dict[str, Stored] = {}
    for part in chunks(ids):
        found.update((person.member_id or "", person) for person in sql.people_by_member_id(part))
    return found


def _by_name(
    sql: ImportStatements, rows: Sequence[MemberRow], orgs: OrgCache
) -> dict[tuple[int, str], list[Stored]]:
    pairs = {(org.id, row.full_name) for row in rows if (org := orgs.get(row.org_path))}
    found: dict[tuple[int, str], list[Stored]] = defaultdict(list)
    for part in chunks(sorted(pairs)):
        for person in sql.people_by_name(part):
            found[(person.org_id, person.full_name)].append(person)
    return found


def _contacts(
    sql: ImportStatements, rows: Sequence[MemberRow]
) -> dict[tuple[str, str], StoredContact]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for channel, external_id in row.contacts:
            wanted[channel].add(external_id)
    found: dict[tuple[str, str], StoredContact] = {}
    for channel, ids in wanted.items():
        for part in chunks(sorted(ids)):
            found.update(((channel, c.external_id), c) for c in sql.contacts(channel, part))
    return found


def _tags_of(sql: ImportStatements, person_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    tags: dict[int, set[str]] = defaultdict(set)
    for part in chunks(sorted(set(person_ids))):
        for person_id, tag in sql.tags(part):
            tags[person_id].add(tag)
    return {person_id: frozenset(tags.get(person_id, ())) for person_id in person_ids}


def _match(
    row: MemberRow,
    org: OrgRef | None,
    by_member_id: dict[str, Stored],
    by_name: dict[tuple[int, str], list[Stored]],
) -> Stored | None:
    named = (by_name.get((org.id, row.full_name)) if org else None) or []
    # Mostly nobody by that name (a new member, or one found by member_id): no generator.
    nameless = next((p for p in named if p.member_id is None), None) if named else None
    if row.member_id:
        person = by_member_id.get(row.member_id) or nameless
    elif nameless is not None or len(named) <= 1:
        person = nameless or (named[0] if named else None)
    else:
        raise RowError(
            f"людей с ФИО «{row.full_name}» в этой организации: {len(named)}; "
            "укажите member_id, чтобы их различить"
        )
    if person is not None and person.erased:
        raise RowError("данные этого человека удалены по его просьбе; повторно не загружаются")
    return person


def _plan_contacts(
    plan: Plan, stored: dict[tuple[str, str], StoredContact]
) -> None:
    conflicts: list[str] = []
    for channel, external_id in plan.row.contacts:
        contact = stored.get((channel, external_id))
        if contact is None:
            plan.new_contacts.append((channel, external_id))
        elif contact.person_id is None:
            plan.linked.append(contact)
        elif plan.person is None or contact.person_id != plan.person.id:
            conflicts.append(
                f"{channel}_id {external_id} уже принадлежит другому человеку "
                f"({contact.owner or f'человек № {contact.person_id}'})"
            )
    if conflicts:
        raise RowError("; ".join(conflicts))


def _plan_changes(plan: Plan, org: OrgRef | None, tags: dict[int, frozenset[str]]) -> None:
    person, row = plan.person, plan.row
    if person is None:
        return
    if person.full_name != row.full_name:
        plan.changes["full_name"] = row.full_name
    if org is None or person.org_id != org.id:
        plan.changes["org_id"] = None  # filled in once new organisations exist
    if row.member_id and person.member_id != row.member_id:
        plan.changes.update(member_id=row.member_id, member_id_key=row.member_id)
    if row.roles is not None and person.roles != row.roles:
        plan.changes["roles"] = row.roles
    plan.tags_changed = row.tags is not None and tags.get(person.id) != row.tags


def _claim_person(plan: Plan, matched: dict[int, int]) -> None:
    if plan.person is None:
        return
    line = matched.setdefault(plan.person.id, plan.row.line)
    if line != plan.row.line:
        raise RowError(f"то же лицо, что в строке {line} ({plan.person.full_name})")


def _known(
    sql: ImportStatements, rows: Sequence[MemberRow], guard: OrgGuard, outcome: BatchOutcome
) -> list[MemberRow]:
    """The rows whose region and district exist or may be created (importing.guard)."""
    known: list[MemberRow] = []
    for row in rows:
        reason = guard.refusal(sql.conn, row.org_path)
        if reason is None:
            known.append(row)
        else:
            outcome.rejected.append((row, reason))
    return known


def plan_batch(
    sql: ImportStatements,
    rows: Sequence[MemberRow],
    orgs: OrgCache,
    outcome: BatchOutcome,
    matched: dict[int, int],
    guard: OrgGuard | None = None,
) -> list[Plan]:
    """Look everything up in bulk and decide each row; rejected rows go to `outcome`.

    `matched` maps stored people already claimed by a row of this file to that row's line;
    `guard` refuses rows naming a region or district that does not exist.
    """
    if guard is not None:
        rows = _known(sql, rows, guard, outcome)
    orgs.load(sql.conn, (row.org_path for row in rows))
    by_member_id = _by_member_id(sql, rows)
    # A row found by member_id needs no look-up by name.
    by_name = _by_name(sql, [row for row in rows if row.member_id not in by_member_id], orgs)
    stored_contacts = _contacts(sql, rows)
    plans: list[Plan] = []
    for row in rows:
        try:
            plan = Plan(row, _match(row, orgs.get(row.org_path), by_member_id, by_name))
            _plan_contacts(plan, stored_contacts)
            _claim_person(plan, matched)
        except RowError as exc:
            outcome.rejected.append((row, str(exc)))
            continue
        plans.append(plan)
    tags = _tags_of(sql, [p.person.id for p in plans if p.person and p.row.tags is not None])
    for plan in plans:
        _plan_changes(plan, orgs.get(plan.row.org_path), tags)
    return plans
