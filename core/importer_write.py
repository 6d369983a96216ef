"""Writing one planned batch: organisations, people, tags, contacts and their consents,
each as one bulk statement (or a few, in chunks)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audience import IMPORT_CONSENT_VERSION, OrgCache
from core.importer_plan import TABLES, BatchOutcome, Plan, chunks, named_people
from core.models import Contact, Person, PersonTag
from core.roles import Role


async def _insert_people(session: AsyncSession, plans: Sequence[Plan], orgs: OrgCache,
                         now: datetime) -> None:
    """Insert, then read the ids back by the unique (org, name, member id key).

    No RETURNING: on SQLite, ordered RETURNING makes SQLAlchemy insert row by row.
    """
    if not plans:
        return
    keys = [
        (orgs.by_path[plan.row.org_path].id, plan.row.full_name, plan.row.member_id or "")
        for plan in plans
    ]
    await session.execute(insert(TABLES["people"]), [
        {
            "full_name": name, "org_id": org_id, "member_id": key or None, "member_id_key": key,
            "roles": Role.MEMBER if plan.row.roles is None else plan.row.roles,
            "created_at": now,
        }
        for plan, (org_id, name, key) in zip(plans, keys, strict=True)
    ])
    ids: dict[tuple[Any, ...], Any] = {}
    pairs = ((org_id, name) for org_id, name, _ in keys)
    for query, params in named_people(pairs, "p.org_id, p.full_name, p.member_id_key, p.id"):
        result = await session.execute(query, params)
        for org_id, name, key, person_id in result:
            ids[(org_id, name, key)] = person_id
    for plan, key in zip(plans, keys, strict=True):
        plan.person_id = ids[key]


async def _update_people(session: AsyncSession, plans: Sequence[Plan], orgs: OrgCache) -> None:
    params = []
    for plan in plans:
        if "org_id" in plan.changes:
            plan.changes["org_id"] = orgs.by_path[plan.row.org_path].id
        if plan.changes:
            params.append({"id": plan.person_id, **plan.changes})
    if params:
        await session.execute(update(Person), params)


async def _replace_tags(session: AsyncSession, plans: Sequence[Plan]) -> None:
    replaced = [plan.person_id for plan in plans if plan.tags_changed]
    for part in chunks(replaced):
        await session.execute(delete(PersonTag).where(PersonTag.person_id.in_(part)))
    rows = [
        {"person_id": plan.person_id, "tag": tag}
        for plan in plans
        if plan.row.tags and (plan.tags_changed or plan.person is None)
        for tag in sorted(plan.row.tags)
    ]
    if rows:
        await session.execute(insert(PersonTag), rows)


def _consent(person_id: int, contact_id: int, channel: str, now: datetime) -> dict[str, Any]:
    return {
        "person_id": person_id, "contact_id": contact_id, "channel": channel,
        "text_version": IMPORT_CONSENT_VERSION, "source": "import", "given_at": now,
    }


async def _insert_contacts(session: AsyncSession, plans: Sequence[Plan], now: datetime) -> int:
    """New contacts, active, each with its consent (copied in SQL from the new rows)."""
    new: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for plan in plans:
        for channel, external_id in plan.new_contacts:
            new[channel].append((plan.person_id, external_id))
    if not new:
        return 0
    await session.execute(insert(TABLES["contacts"]), [
        {
            "person_id": person_id, "channel": channel, "external_id": external_id,
            "kind": "user", "status": "active", "subscribed_at": now, "updated_at": now,
        }
        for channel, contacts in new.items()
        for person_id, external_id in contacts
    ])
    consent_columns = ["person_id", "contact_id", "channel", "text_version", "source", "given_at"]
    for channel, contacts in new.items():
        for part in chunks([external_id for _, external_id in contacts]):
            await session.execute(insert(TABLES["consents"]).from_select(
                consent_columns,
                select(
                    Contact.person_id, Contact.id, Contact.channel,
                    literal(IMPORT_CONSENT_VERSION), literal("import"), Contact.subscribed_at,
                ).where(Contact.channel == channel, Contact.external_id.in_(part)),
            ))
    return sum(len(contacts) for contacts in new.values())


async def _link_contacts(session: AsyncSession, plans: Sequence[Plan], now: datetime) -> int:
    """Attach a contact nobody owns yet; a pending one (no consent yet) becomes active."""
    links = [(plan.person_id, contact) for plan in plans for contact in plan.linked]
    if not links:
        return 0
    await session.execute(
        update(Contact),
        [
            {"id": contact.id, "person_id": person_id, "updated_at": now}
            | ({"status": "active", "subscribed_at": now} if contact.status == "pending" else {})
            for person_id, contact in links
        ],
    )
    consents = [
        _consent(person_id, contact.id, contact.channel, now)
        for person_id, contact in links
        if contact.status == "pending"
    ]
    if consents:
        await session.execute(insert(TABLES["consents"]), consents)
    return len(links)


async def write_batch(
    session: AsyncSession, plans: Sequence[Plan], orgs: OrgCache, now: datetime,
    outcome: BatchOutcome,
) -> None:
    """Apply the plans: organisations, people, tags, contacts and their consents."""
    await orgs.ensure(
        session, [p.row.org_path for p in plans if p.person is None or "org_id" in p.changes]
    )
    new = [plan for plan in plans if plan.person is None]
    for plan in plans:
        if plan.person is not None:
            plan.person_id = plan.person.id
    await _insert_people(session, new, orgs, now)
    await _update_people(session, plans, orgs)
    await _replace_tags(session, plans)
    outcome.contacts_created += await _insert_contacts(session, plans, now)
    outcome.contacts_linked += await _link_contacts(session, plans, now)
    outcome.created += len(new)
    changed = sum(1 for p in plans if p.person is not None and (p.changes or p.tags_changed))
    outcome.updated += changed
    outcome.unchanged += len(plans) - len(new) - changed
