"""Refusing rows whose region, or whose district under an existing region, the database
does not have: a mistyped name would otherwise create a second region or district beside
the real one (two "Ленинский район" in the reports).

A first import into an empty database, or one asked to create organisations, creates them
as rows need them; a new primary organisation under an existing district is always created.
Regions and districts are few (some thousands for the whole country), so they are read once
per import and each distinct (region, district) is judged once, not each row.
"""

from __future__ import annotations

import difflib
from collections import defaultdict

from sqlalchemy import Connection, select

from core.audience.directory import OrgPath
from core.storage.models import Organization

MAX_SUGGESTIONS = 3
# difflib's ratio of the names without case and spaces. Names share long common words
# ("район", "организация"), so two different districts score 0.6-0.7 ("Кировский район"
# and "Ленинский район": 0.71); a typo scores above 0.9.
SIMILARITY = 0.8
MIN_PREFIX = 5  # a name cut short ("Пермская краевая организаци") is a prefix of the real one
_UPPER = select(Organization.full_name).where(Organization.kind != "primary")


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


def _upper_names(conn: Connection) -> dict[OrgPath, set[str]]:
    """Names of the stored regions (under the empty path) and districts (under a region)."""
    names: dict[OrgPath, set[str]] = defaultdict(set)
    for full_name in conn.scalars(_UPPER):
        path = tuple(full_name.split("/"))
        names[path[:-1]].add(path[-1])
    return dict(names)


def _similarity(given: str, stored: str) -> float:
    if min(len(given), len(stored)) >= MIN_PREFIX and (
        given.startswith(stored) or stored.startswith(given)
    ):
        return 1.0
    return difflib.SequenceMatcher(None, given, stored).ratio()


def closest(name: str, existing: set[str]) -> list[str]:
    """The existing names most like `name`, ignoring case and spaces, best first."""
    key = _key(name)
    scored = sorted((-_similarity(key, _key(candidate)), candidate) for candidate in existing)
    return [candidate for score, candidate in scored if -score >= SIMILARITY][:MAX_SUGGESTIONS]


def _reason(parent: OrgPath, name: str, existing: set[str]) -> str:
    if parent:
        what, hint = f"нет района «{name}» в «{parent[-1]}»", "новый район"
    else:
        what, hint = f"нет региональной организации «{name}»", "новая организация"
    similar = closest(name, existing)
    if similar:
        return f"{what}; возможно, {' или '.join(f'«{s}»' for s in similar)}?"
    return f"{what}; если это {hint}, загрузите файл с --create-orgs"


class OrgGuard:
    """Judges organisation paths for one import (the stored names are read on first use)."""

    def __init__(self, *, create_orgs: bool = False) -> None:
        self.create_orgs = create_orgs
        self._names: dict[OrgPath, set[str]] | None = None
        self._verdicts: dict[OrgPath, str | None] = {}

    def refusal(self, conn: Connection, path: OrgPath) -> str | None:
        """Why a row naming `path` is refused; None when it may be imported."""
        upper = path[:2]
        if upper in self._verdicts:
            return self._verdicts[upper]
        verdict = None
        if not self.create_orgs:
            if self._names is None:
                self._names = _upper_names(conn)
            verdict = _unknown_part(self._names, upper) if self._names else None
        self._verdicts[upper] = verdict
        return verdict


def _unknown_part(names: dict[OrgPath, set[str]], upper: OrgPath) -> str | None:
    for depth in range(1, len(upper) + 1):
        parent, name = upper[: depth - 1], upper[depth - 1]
        existing = names.get(parent, set())
        if name not in existing:
            return _reason(parent, name, existing)
    return None
