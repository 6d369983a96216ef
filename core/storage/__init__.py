"""Storage: the database engine (SQLite file or PostgreSQL), the typed models, the schema
through alembic, and SQLite's plain-sqlite3 fast path.

Owns: `engine` (engines, the write lock, the SQLite twin), `models` (every table),
`schema` (upgrade, ensure_schema), `sqlite_values`, `state` (small key-value state).
May import: core.config only. Every other core package builds on this one.
"""
