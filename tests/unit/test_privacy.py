"""Personal data (152-FZ, issue 16 item 7): export holds every row that points at a person,
the map it walks misses no table, erase leaves no personal string in the database file and
the reach figures unchanged, and consent is recorded with a version that follows the text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import CONSENT, DIALOG
from core.privacy.consent import text_version
from core.privacy.erase import erase
from core.privacy.export import export
from core.privacy.tables import FINDERS, NOT_A_POINTER, PERSON_COLUMNS
from core.reach.report import reach_report
from core.storage import digest_tables, poll_tables  # noqa: F401  (all tables in metadata)
from core.storage.engine import writing
from core.storage.models import Audit, Base
from tests.unit.privacy_support import (
    ACCOUNT,
    CARD,
    NAME,
    QUESTION,
    TAG,
    contact_row,
    member_with_everything,
)


def test_the_map_covers_every_column_that_can_point_at_a_person() -> None:
    missed = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name in PERSON_COLUMNS
        and (table.name, column.name) not in NOT_A_POINTER
        and column.name not in FINDERS.get(table.name, {})
    ]
    assert missed == [], f"core.privacy.tables.FINDERS does not cover {missed}"
    for name, finders in FINDERS.items():
        assert set(finders) <= set(Base.metadata.tables[name].c.keys()), name


def test_the_consent_version_follows_the_wording() -> None:
    assert DIALOG.consent_version == text_version("pd-consent-2026-11", CONSENT)
    assert DIALOG.consent_version.startswith("pd-consent-2026-11-")
    assert text_version("pd-consent-2026-11", CONSENT + " Новое условие.") != (
        DIALOG.consent_version)
    assert text_version("x", "а  б\nв") == text_version("x", "а б в")  # wording, not layout


async def test_export_holds_everything_stored_about_the_person(engine: AsyncEngine) -> None:
    stored = await member_with_everything(engine)
    data = await export(engine, stored.person_id)
    tables = data["tables"]
    assert data["person"]["full_name"] == NAME and data["person"]["member_id"] == CARD
    assert data["accounts"] == [{"channel": "telegram", "external_id": ACCOUNT}]
    assert [t["tag"] for t in tables["person_tags"]] == [TAG]
    assert {(c["action"], c["text_version"]) for c in tables["consents"]} == {
        ("given", DIALOG.consent_version)}
    assert [d["status"] for d in tables["deliveries"]] == ["sent"]
    assert [v["option_ids"] for v in tables["votes"]] == [[0]]
    assert QUESTION in [i["text"] for i in tables["inbound"]]
    assert tables["replies"], "the answers queued to them"
    assert [g["role"] for g in tables["admin_grants"]] == ["press"]
    assert {"chat.post", "admins.grant"} <= {a["action"] for a in tables["audit"]}
    assert [c["id"] for c in tables["campaigns"]] == [stored.campaign_id]
    assert len(tables["polls"]) == 1
    assert set(tables) == set(FINDERS)
    json.dumps(data, ensure_ascii=False)  # JSON-ready as it is


async def test_erase_leaves_no_personal_string_and_keeps_the_figures(
    engine: AsyncEngine, db_url: str
) -> None:
    stored = await member_with_everything(engine)
    before = await reach_report(engine, stored.campaign_id)
    async with writing(engine) as conn:
        counts = await erase(conn, stored.person_id, "cli")
    assert counts["contacts"] == 1 and counts["people"] == 1 and counts["deliveries"] >= 1
    assert await reach_report(engine, stored.campaign_id) == before
    after = await export(engine, stored.person_id)
    assert after["accounts"] == [] and after["person"]["full_name"] == ""
    assert after["person"]["erased_at"] is not None
    contact = await contact_row(engine, stored.contact_id)
    assert (contact.external_id, contact.status) == (f"erased-{stored.contact_id}", "erased")
    async with engine.connect() as conn:
        entry = (await conn.execute(select(Audit).where(Audit.action == "people.erase"))).one()
    assert entry.actor == "cli" and entry.details["person_id"] == stored.person_id
    assert entry.details["rows"]["contacts"] == 1
    await engine.dispose()
    raw = _vacuumed(Path(db_url.removeprefix("sqlite:///")))
    for secret in (NAME, ACCOUNT, CARD, QUESTION, TAG, "Смирнова"):
        assert secret.encode("utf-8") not in raw, (secret, _where(db_url, secret))


def test_details_lose_only_the_values_that_name_the_account() -> None:
    from core.privacy.mentions import _replaced
    from core.privacy.subject import Subject

    who = Subject(5, (9,), (("telegram", "731"),))
    names = {"731": "erased-9"}
    assert _replaced({"channel": "telegram", "external_id": "731", "n": 7310}, who, names) == {
        "channel": "telegram", "external_id": "erased-9", "n": 7310}
    assert _replaced({"channel": "vk", "external_id": "731"}, who, names) == {
        "channel": "vk", "external_id": "731"}  # the same number on another messenger
    assert _replaced({"owner": "telegram:731", "ids": [731]}, who, names) == {
        "owner": "telegram:erased-9", "ids": ["erased-9"]}


def _vacuumed(path: Path) -> bytes:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _where(db_url: str, needle: str) -> list[str]:
    """For the failure message: which table and column still hold `needle`."""
    db, found = sqlite3.connect(db_url.removeprefix("sqlite:///")), []
    tables = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for column in [r[1] for r in db.execute(f"PRAGMA table_info('{table}')")]:
            query = f'SELECT 1 FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE ?'
            if db.execute(query, (f"%{needle}%",)).fetchone():
                found.append(f"{table}.{column}")
    db.close()
    return found
