"""replies: ids never reused on SQLite (AUTOINCREMENT). A reply's platform key is made from
its id (VK's random_id, the parts already sent), and erasing a member deletes the replies to
them: a reused id made the next reply look like the deleted one and VK dropped it as a
repeat (docs/design.md, "Personal data").

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUE = sa.text("status = 'pending'")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return  # PostgreSQL's identity sequences never hand out an id twice
    op.drop_index('ix_replies_due', table_name='replies')
    with op.batch_alter_table('replies', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass
    op.create_index('ix_replies_due', 'replies', ['channel', 'next_attempt_at'],
                    unique=False, sqlite_where=_DUE, postgresql_where=_DUE)


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
