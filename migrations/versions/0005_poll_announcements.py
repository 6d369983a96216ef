"""polls: announce_members (results go to the members at closing) and announced_at (the
results were queued to the press secretary, the staff chat and, if chosen, the members)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announce_members', sa.Boolean(),
                                      server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('announced_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_column('announced_at')
        batch_op.drop_column('announce_members')
