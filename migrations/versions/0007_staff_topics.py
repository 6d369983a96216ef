"""staff_topics: a member's forum topic in a staff chat (Telegram forum supergroups), one per
member and chat under a unique key claimed before the topic is created

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_topics',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat', sa.String(length=64), nullable=False),
    sa.Column('member', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
              nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('thread_id', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.Double(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_staff_topics_contact_id_contacts')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                            name=op.f('fk_staff_topics_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_topics')),
    sa.UniqueConstraint('channel', 'chat', 'member',
                        name=op.f('uq_staff_topics_channel_chat_member'))
    )
    with op.batch_alter_table('staff_topics', schema=None) as batch_op:
        batch_op.create_index('ix_staff_topics_thread', ['channel', 'chat', 'thread_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_topics_thread')
    op.drop_table('staff_topics')
