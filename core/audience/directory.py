"""The union tree and its members: organisations from "Region/District/School" paths,
people and their messenger contacts.

An organisation's `code` is derived from its normalised full path alone, so the same union
imported into two databases gets the same codes (they appear in invite links).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audience.cells import PATH_CHARS, shown
from core.audience.roles import Role
from core.storage.models import Base, Consent, Contact, Organization, Person, PersonTag, utcnow

MAX_DEPTH = 3
KINDS_BY_DEPTH = {1: "region", 2: "district", 3: "primary"}
# The code's letter follows the depth, not the kind, so a renamed kind never changes codes.
CODE_LETTERS = {1: "r", 2: "d", 3: "p"}
CODE_HEX_CHARS = 12  # 48 bits: no collision to expect even among the ~100,000 Russian schools
CODE_RE = re.compile(rf"^[{''.join(CODE_LETTERS.values())}][0-9a-f]{{{CODE_HEX_CHARS}}}$")
# A regional committee's own staff are a depth-2 node named like "Аппарат краевой организации".
STAFF_PREFIX = "аппарат"
MAX_NAME_LEN = 300
IMPORT_CONSENT_VERSION = "import-v1"

OrgPath = tuple[str, ...]


ORGS = Base.metadata.tables["organizations"]
# Statements built once: building one per batch costs more CPU than running it.
_ORGS_NAMED = select(
    Organization.id, Organization.full_name, Organization.tree_path, Organization.code,
    Organization.kind,
).where(Organization.full_name.in_(bindparam("names", expanding=True)))
_INSERT_ORGS = insert(ORGS).returning(ORGS.c.id, sort_by_parameter_order=True)
_SET_TREE_PATH = (
    update(ORGS).where(ORGS.c.id == bindparam("o_id")).values(tree_path=bindparam("o_tree"))
)


class OrgPathError(ValueError):
    """An organisation path that cannot be used; the message says why, in Russian."""


def _levels(count: int) -> str:
    """4 -> "4 уровня", 5 -> "5 уровней", 21 -> "21 уровень"."""
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} уровень"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return f"{count} уровня"
    return f"{count} уровней"


@dataclass(frozen=True)
class OrgRef:
    id: int
    full_name: str
    tree_path: str
    code: str
    kind: str

    @property
    def depth(self) -> int:
        return self.tree_path.count("/") - 1


def normalize_name(text: str) -> str:
    """Trim and collapse inner whitespace (including non-breaking spaces Excel leaves)."""
    return " ".join(text.split())


def parse_org_path(text: str) -> OrgPath:
    """Split "Region/District/School" into normalised names; 1 to 3 levels."""
    stripped = text.strip().strip("/")
    if not stripped:
        raise OrgPathError("org_path пуст: укажите регион/район/организацию")
    parts = tuple(normalize_name(part) for part in stripped.split("/"))
    if any(not part for part in parts):
        raise OrgPathError(f"в org_path «{shown(text.strip(), PATH_CHARS)}» пустой уровень "
                           "(две косые черты подряд)")
    if len(parts) > MAX_DEPTH:
        raise OrgPathError(
            f"в org_path «{shown(text.strip(), PATH_CHARS)}» {_levels(len(parts))}, а можно "
            f"не больше {MAX_DEPTH} (регион/район/организация)"
        )
    too_long = next((part for part in parts if len(part) > MAX_NAME_LEN), None)
    if too_long is not None:
        raise OrgPathError(
            f"в org_path название «{too_long[:40]}…» длиннее {MAX_NAME_LEN} символов"
        )
    return parts


def org_full_name(path: OrgPath) -> str:
    return "/".join(path)


def org_code(path: OrgPath) -> str:
    """Stable short ASCII code for invite links (Telegram start parameter: A-Za-z0-9_-)."""
    digest = hashlib.sha1(org_full_name(path).encode("utf-8")).hexdigest()
    return CODE_LETTERS[len(path)] + digest[:CODE_HEX_CHARS]


def org_kind(path: OrgPath) -> str:
    if len(path) == 2 and path[-1].casefold().startswith(STAFF_PREFIX):
        return "staff"
    return KINDS_BY_DEPTH[len(path)]


def _ref(org: Organization) -> OrgRef:
    return OrgRef(org.id, org.full_name, org.tree_path, org.code, org.kind)


class OrgCache:
    """Organisations already seen, by normalised path: they are few, members are many.

    Works on a synchronous Connection, so an import batch runs whole in a worker thread
    (core.storage.engine.in_write_transaction); async callers go through run_sync.
    """

    def __init__(self) -> None:
        self.by_path: dict[OrgPath, OrgRef] = {}
        self.created = 0

    def load(self, conn: Connection, paths: Iterable[OrgPath]) -> None:
        """Fetch the organisations of `paths` (and their ancestors) not cached yet."""
        distinct = set(paths)  # a batch of rows names a few organisations many times
        wanted = {path[:depth] for path in distinct for depth in range(1, len(path) + 1)}
        missing = {org_full_name(path) for path in wanted if path not in self.by_path}
        names = sorted(missing)
        for start in range(0, len(names), 500):
            rows = conn.execute(_ORGS_NAMED, {"names": names[start:start + 500]})
            for org_id, full_name, tree_path, code, kind in rows:
                self.by_path[tuple(full_name.split("/"))] = OrgRef(
                    org_id, full_name, tree_path, code, kind
                )

    def get(self, path: OrgPath) -> OrgRef | None:
        return self.by_path.get(path)

    def ensure(self, conn: Connection, paths: Iterable[OrgPath]) -> None:
        """Create the organisations of `paths` and their ancestors that do not exist yet."""
        paths = set(paths)
        self.load(conn, paths)
        for depth in range(1, MAX_DEPTH + 1):
            level = sorted({p[:depth] for p in paths if len(p) >= depth} - self.by_path.keys())
            if level:
                self._create_level(conn, level)

    def _create_level(self, conn: Connection, level: Sequence[OrgPath]) -> None:
        parents = [self.by_path[path[:-1]] if len(path) > 1 else None for path in level]
        rows = [
            {
                "parent_id": parent.id if parent else None,
                "kind": org_kind(path),
                "name": path[-1],
                "code": org_code(path),
                "tree_path": "",
                "full_name": org_full_name(path),
            }
            for path, parent in zip(level, parents, strict=True)
        ]
        ids = conn.scalars(_INSERT_ORGS, rows).all()
        # The tree path holds the node's own id, known only after the insert.
        created = [
            OrgRef(new_id, org_full_name(path), f"{parent.tree_path if parent else '/'}{new_id}/",
                   org_code(path), org_kind(path))
            for path, parent, new_id in zip(level, parents, ids, strict=True)
        ]
        conn.execute(
            _SET_TREE_PATH, [{"o_id": org.id, "o_tree": org.tree_path} for org in created]
        )
        self.by_path.update(zip(level, created, strict=True))
        self.created += len(level)


async def ensure_organization(session: AsyncSession, path_text: str) -> OrgRef:
    """The organisation at a "Region/District/School" path, created with its ancestors."""
    path = parse_org_path(path_text)
    cache = OrgCache()
    await session.run_sync(lambda sync: cache.ensure(sync.connection(), [path]))
    return cache.by_path[path]


async def find_organization(session: AsyncSession, path_or_code: str) -> OrgRef | None:
    """An organisation by its full path from the region or by its code."""
    text = path_or_code.strip()
    if CODE_RE.match(text):
        org = await session.scalar(select(Organization).where(Organization.code == text))
        if org is not None:
            return _ref(org)
    try:
        full_name = org_full_name(parse_org_path(text))
    except OrgPathError:
        return None
    org = await session.scalar(select(Organization).where(Organization.full_name == full_name))
    return None if org is None else _ref(org)


async def organizations_named(session: AsyncSession, name: str, limit: int = 3) -> list[str]:
    """Full paths of organisations whose own name is `name` (for "did you mean")."""
    rows = await session.scalars(
        select(Organization.full_name)
        .where(Organization.name == normalize_name(name))
        .order_by(Organization.full_name)
        .limit(limit)
    )
    return list(rows)


def normalize_tag(text: str) -> str:
    return normalize_name(text).casefold()


async def add_person(
    session: AsyncSession,
    full_name: str,
    org: OrgRef,
    *,
    roles: int = Role.MEMBER,
    tags: Iterable[str] = (),
    member_id: str | None = None,
) -> Person:
    """A new member of `org` (flushed, so it has an id)."""
    person = Person(
        full_name=normalize_name(full_name),
        org_id=org.id,
        roles=int(roles | Role.MEMBER),
        member_id=member_id,
        member_id_key=member_id or "",
    )
    session.add(person)
    await session.flush()
    tag_set = {normalize_tag(tag) for tag in tags if tag.strip()}
    session.add_all(PersonTag(person_id=person.id, tag=tag) for tag in sorted(tag_set))
    await session.flush()
    return person


async def add_contact(
    session: AsyncSession,
    person: Person | None,
    channel: str,
    external_id: str,
    *,
    status: str = "active",
    consent_source: str | None = "import",
    consent_version: str = IMPORT_CONSENT_VERSION,
    now: datetime | None = None,
) -> Contact:
    """A messenger account of `person`; an active one gets its consent record too."""
    moment = now or utcnow()
    person_id = person.id if person is not None else None
    contact = Contact(
        person_id=person_id,
        channel=channel,
        external_id=external_id,
        status=status,
        subscribed_at=moment if status == "active" else None,
    )
    session.add(contact)
    await session.flush()
    if status == "active" and consent_source is not None:
        session.add(
            Consent(
                person_id=person_id,
                contact_id=contact.id,
                channel=channel,
                text_version=consent_version,
                source=consent_source,
                given_at=moment,
            )
        )
        await session.flush()
    return contact
