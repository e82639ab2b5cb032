"""outlet leases: one crawl of an outlet at a time, across processes and restarts

Revision ID: 0006
Revises: 0008

Revision id 0006 is this branch's; it follows main's newest migration (0008) since main was
merged in, so the chain is 0005, 0007, 0008, 0006. The lead may renumber it.
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outlet_leases',
    sa.Column('outlet', sa.String(length=100), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('acquired_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('outlet')
    )
    with op.batch_alter_table('outlet_leases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outlet_leases_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outlet_leases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outlet_leases_expires_at'))
    op.drop_table('outlet_leases')
