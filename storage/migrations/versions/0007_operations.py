"""operations: interrupted delivery claims, channel backoff, source health, daemon holder

Revision ID: 0007
Revises: 0003

A claimed delivery remembers its claim until an outcome is recorded, so a claim cut off by a crash is
told apart from a failed send. Channels get their own health row (backed off as a whole), outlets an
open health episode (told to the admin channels once), and the daemon a row naming who holds the
database. Revision id 0007 is this branch's; the lead re-chains it at merge.
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0007'
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('interrupted', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.alter_column('interrupted', server_default=None, existing_type=sa.Integer(), existing_nullable=False)

    op.create_table('channel_state',
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('error_streak', sa.Integer(), nullable=False),
    sa.Column('backoff_until', storage.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_failure_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('last_success_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('channel')
    )
    op.create_table('source_health',
    sa.Column('outlet', sa.String(length=100), nullable=False),
    sa.Column('problem', sa.String(length=16), nullable=True),
    sa.Column('since', storage.types.UTCDateTime(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('notified_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('outlet')
    )
    op.create_table('daemon_holder',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('daemon_holder')
    op.drop_table('source_health')
    op.drop_table('channel_state')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('interrupted')
        batch_op.drop_column('claimed_at')
