"""`rupor audience import`: a CSV or XLSX member list into the audience, streamed and
written in batches (one transaction each), idempotently.

Columns: full_name, org_path (required); roles, telegram_id, vk_id, viber_id, member_id,
tags (optional; an absent column leaves stored values alone). Imported contacts are
subscribers of an earlier system: active, each with one consent whose source is "import".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.audience.directory import OrgCache
from core.audience.importing.guard import OrgGuard
from core.audience.importing.plan import BatchOutcome, plan_batch
from core.audience.importing.rows import Columns, MemberRow, RowError, map_header, parse_row
from core.audience.importing.source import ImportFileError, SourceRow, open_member_file
from core.audience.importing.statements import statements
from core.audience.importing.write import write_batch
from core.storage.engine import in_write_transaction, sqlite_twin_of
from core.storage.models import utcnow

__all__ = ["ImportFileError", "ImportReport", "RejectedRow", "import_members"]

BATCH_SIZE = 1000


class RejectedRow(NamedTuple):
    """A row not imported: (line in the file, why)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"строка {self.line}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    source: str  # what the file was read as, e.g. "CSV, cp1251, semicolon"
    rows_read: int
    people_created: int
    people_updated: int
    people_unchanged: int
    contacts_created: int
    contacts_linked: int
    organizations_created: int
    rejected: tuple[RejectedRow, ...]

    @property
    def rows_imported(self) -> int:
        return self.rows_read - len(self.rejected)

    @property
    def complete(self) -> bool:
        return not self.rejected


@dataclass
class _FileState:
    """What this file has already given, so a repeated member or contact is caught."""

    portable: bool = False  # SQLAlchemy Core on SQLite too (core.audience.importing.statements)
    on_progress: Callable[[int], None] | None = None  # rows read so far, after each batch
    orgs: OrgCache = field(default_factory=OrgCache)
    guard: OrgGuard = field(default_factory=OrgGuard)  # unknown regions and districts
    identities: dict[tuple[str, ...], int] = field(default_factory=dict)
    contacts: dict[tuple[str, str], int] = field(default_factory=dict)
    matched: dict[int, int] = field(default_factory=dict)
    totals: BatchOutcome = field(default_factory=BatchOutcome)
    rows_read: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def claim(self, row: MemberRow) -> None:
        line = self.identities.get(row.identity)
        if line is not None:
            raise RowError(f"то же лицо, что в строке {line} ({_identity_text(row)})")
        repeated = [
            f"{channel}_id {external_id} уже указан в строке {line}"
            for channel, external_id in row.contacts
            if (line := self.contacts.get((channel, external_id))) is not None
        ]
        if repeated:
            raise RowError("; ".join(repeated))
        self.identities[row.identity] = row.line
        self.contacts.update((key, row.line) for key in row.contacts)

    def forget(self, row: MemberRow) -> None:
        if self.identities.get(row.identity) == row.line:
            del self.identities[row.identity]
        for key in row.contacts:
            if self.contacts.get(key) == row.line:
                del self.contacts[key]


def _identity_text(row: MemberRow) -> str:
    if row.member_id:
        return f"member_id {row.member_id}"
    return "то же ФИО в той же организации"


def _batches(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    batch: list[SourceRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed(batch: list[SourceRow], columns: Columns, state: _FileState) -> list[MemberRow]:
    """The rows valid on their own; the others go to `state.rejected` with their reasons."""
    valid: list[MemberRow] = []
    for source_row in batch:
        try:
            valid.append(parse_row(source_row, columns))
        except RowError as exc:
            state.rejected.append(RejectedRow(source_row.line, str(exc)))
    state.rows_read += len(batch)
    return valid


def _claimed(rows: list[MemberRow], state: _FileState) -> list[MemberRow]:
    """The rows repeating no member or contact an earlier row of the file gave."""
    valid: list[MemberRow] = []
    for row in rows:
        try:
            state.claim(row)
        except RowError as exc:
            state.rejected.append(RejectedRow(row.line, str(exc)))
            continue
        valid.append(row)
    return valid


def _engine_of(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine):
        raise TypeError("import_members needs a session factory bound to an engine")
    return engine


async def _attempt(
    engine: AsyncEngine, rows: list[MemberRow], state: _FileState, now: datetime
) -> BatchOutcome:
    """One batch, looked up and written in one transaction (on SQLite, whole in a worker
    thread: one thread hop per batch instead of several per statement)."""
    outcome = BatchOutcome()

    def work(conn: Connection) -> None:
        sql = statements(conn, portable=state.portable)
        plans = plan_batch(sql, rows, state.orgs, outcome, state.matched, state.guard)
        write_batch(sql, plans, state.orgs, now, outcome)

    await in_write_transaction(engine, work)
    return outcome


async def _import_batch(
    engine: AsyncEngine, rows: list[MemberRow], state: _FileState, now: datetime
) -> None:
    created_before = state.orgs.created
    try:
        outcome = await _attempt(engine, rows, state, now)
    except IntegrityError:
        # Someone (a bot's /start) wrote a contact between our look-up and insert: the
        # batch rolled back, organisations created in it too, so look everything up again.
        state.orgs = OrgCache()
        state.orgs.created = created_before
        outcome = await _attempt(engine, rows, state, now)
    for row, reason in outcome.rejected:
        state.forget(row)
        state.rejected.append(RejectedRow(row.line, reason))
    totals = state.totals
    totals.created += outcome.created
    totals.updated += outcome.updated
    totals.unchanged += outcome.unchanged
    totals.contacts_created += outcome.contacts_created
    totals.contacts_linked += outcome.contacts_linked


def _release_twin(engine: AsyncEngine) -> None:
    """Close the SQLite twin's connections, and with them the import's large page cache
    (core.audience.importing.statements.CACHE_KIB); the next writer opens a fresh connection."""
    twin = sqlite_twin_of(engine)
    if twin is not None:
        twin.dispose()


async def _import_file(
    engine: AsyncEngine, path: Path, batch_size: int, state: _FileState, now: datetime
) -> str:
    """Read, check and write the whole file, a batch at a time; what it was read as."""
    # Reading the next batch while one is written gained nothing measurable: the checks and
    # the batch's own Python work take turns at the GIL.
    with open_member_file(path) as source:
        columns = map_header(source.header)
        for batch in _batches(source.rows, batch_size):
            rows = _claimed(_parsed(batch, columns, state), state)
            if rows:
                await _import_batch(engine, rows, state, now)
            if state.on_progress is not None:
                state.on_progress(state.rows_read)
    return source.description


async def import_members(
    sessions: async_sessionmaker[AsyncSession],
    path: Path | str,
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
    portable_sql: bool = False,
    on_progress: Callable[[int], None] | None = None,
    create_orgs: bool = False,
) -> ImportReport:
    """Import a member list; bad rows are reported, not fatal. ImportFileError (one line)
    when the file cannot be used at all: nothing is written then. `portable_sql` runs the
    statements through SQLAlchemy Core on SQLite too (tests compare the two); `on_progress`
    hears the number of rows read after each batch. A row naming a region, or a district of
    an existing region, that the database lacks is rejected unless `create_orgs` (or the
    database has no organisations yet)."""
    engine = _engine_of(sessions)
    state = _FileState(portable=portable_sql, on_progress=on_progress)
    state.guard = OrgGuard(create_orgs=create_orgs)
    try:
        description = await _import_file(engine, Path(path), batch_size, state, now or utcnow())
    finally:
        _release_twin(engine)
    totals = state.totals
    return ImportReport(
        source=description,
        rows_read=state.rows_read,
        people_created=totals.created,
        people_updated=totals.updated,
        people_unchanged=totals.unchanged,
        contacts_created=totals.contacts_created,
        contacts_linked=totals.contacts_linked,
        organizations_created=state.orgs.created,
        rejected=tuple(sorted(state.rejected, key=lambda rejected: rejected.line)),
    )
