"""poll_pending_votes: a vote that came before the record of where its poll landed, kept
unmatched until that record lands (then counted), dropped when its poll closes or after a
bounded time (docs/design.md, "Polls")

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 12:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('poll_pending_votes',
    sa.Column('inbound_id', _ID, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('contact_id', _ID, nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=True),
    sa.Column('platform_poll_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_poll_pending_votes_contact_id_contacts')),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound.id'],
                            name=op.f('fk_poll_pending_votes_inbound_id_inbound')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'],
                            name=op.f('fk_poll_pending_votes_poll_id_polls')),
    sa.PrimaryKeyConstraint('inbound_id', name=op.f('pk_poll_pending_votes'))
    )
    op.create_index('ix_poll_pending_votes_contact', 'poll_pending_votes', ['contact_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_poll_pending_votes_contact', table_name='poll_pending_votes')
    op.drop_table('poll_pending_votes')
