"""campaign_runs.staff_told_at: the staff chat was told this run finished (its reach and
gap), claimed in the transaction that queues the news, so it is told once; runs already
done at upgrade count as told (no flood of old news)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:45:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('campaign_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_told_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE campaign_runs SET staff_told_at = COALESCE(finished_at, started_at, "
               "scheduled_for) WHERE status = 'done'")


def downgrade() -> None:
    with op.batch_alter_table('campaign_runs', schema=None) as batch_op:
        batch_op.drop_column('staff_told_at')
