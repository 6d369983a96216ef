"""Storage: the database engine (SQLite file or PostgreSQL), the typed models, the schema
through alembic, and SQLite's plain-sqlite3 fast path.

Owns: `engine` (engines, the write lock, the SQLite twin), `models` (every table),
`schema` (upgrade, ensure_schema), `sqlite_values`, `state` (small key-value state),
`trouble` (a lock, a full disk, the server away: waited out and told once),
`poll_tables` (the poll tables, apart so that anonymous votes have a storage of their own;
imported here so every user of the models sees the whole schema), `digest_tables` (the
monthly staff reports, owned by core.digest), `staff_tables` (the staff chat's forum topics,
owned by core.staff).
May import: core.config only. Every other core package builds on this one.
"""

from core.storage import digest_tables as digest_tables
from core.storage import poll_tables as poll_tables
from core.storage import staff_tables as staff_tables
