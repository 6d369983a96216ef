"""The union as a members file in the import format of `rupor audience import`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from .knobs import PLATFORMS
from .population import Person

HEADER = ("full_name", "org_path", "roles", "telegram_id", "vk_id", "viber_id", "member_id", "tags")


def member_row(person: Person) -> list[str]:
    """One line: accounts the union's list knows (not the unjoined ones), roles in English."""
    ids = []
    for platform in PLATFORMS:
        account = person.account(platform)
        ids.append(account.external_id if account is not None and account.listed else "")
    return [
        person.full_name,
        "/".join(person.org_path),
        ",".join(person.roles),
        *ids,
        person.member_id,
        ",".join(person.tags),
    ]


def members_csv(people: Iterable[Person]) -> str:
    """UTF-8 text, comma-separated, with a header line; the same people give the same text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(member_row(person) for person in people)
    return buffer.getvalue()


def write_members_csv(people: Iterable[Person], path: Path | str) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(members_csv(people), encoding="utf-8", newline="")
    return target
