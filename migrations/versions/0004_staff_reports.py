"""staff_reports: the monthly staff reports the Informational Digest is compiled from

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_reports'))
    )
    with op.batch_alter_table('staff_reports', schema=None) as batch_op:
        batch_op.create_index('ix_staff_reports_month', ['month', 'channel', 'account'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_reports_month')
    op.drop_table('staff_reports')
