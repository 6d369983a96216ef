"""polls: anonymous or named, audience, reminder; where a native poll was stopped; the
anonymous poll's voters, ballots and tallies

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))
        batch_op.add_column(sa.Column('audience', sa.Text(), server_default='role:young_teacher', nullable=False))
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ballot_salt', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('poll_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('poll_voters',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('voter', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_voters_poll_id_polls')),
    sa.PrimaryKeyConstraint('poll_id', 'voter', name=op.f('pk_poll_voters')),
    sqlite_with_rowid=False
    )
    op.create_table('poll_ballots',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('ballot_key', sa.String(length=64), nullable=False),
    sa.Column('option_ids', sa.JSON(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_ballots_poll_id_polls')),
    sa.PrimaryKeyConstraint('poll_id', 'ballot_key', name=op.f('pk_poll_ballots')),
    sqlite_with_rowid=False
    )
    op.create_table('poll_tallies',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_tallies_poll_id_polls')),
    sa.PrimaryKeyConstraint('poll_id', 'district_id', 'option', name=op.f('pk_poll_tallies'))
    )


def downgrade() -> None:
    op.drop_table('poll_tallies')
    op.drop_table('poll_ballots')
    op.drop_table('poll_voters')
    with op.batch_alter_table('poll_messages', schema=None) as batch_op:
        batch_op.drop_column('stopped_at')
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_column('created_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('ballot_salt')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('remind_at')
        batch_op.drop_column('audience')
        batch_op.drop_column('anonymous')
