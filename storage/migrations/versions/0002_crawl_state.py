"""crawl state: index validators, outlet health, article revisits and removal

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fetch_state',
    sa.Column('url_key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('outlet', sa.String(length=100), nullable=False),
    sa.Column('parent_url', sa.Text(), nullable=True),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('last_full_fetch_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_fetched_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('url_key')
    )
    with op.batch_alter_table('fetch_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetch_state_outlet'), ['outlet'], unique=False)

    op.create_table('outlet_state',
    sa.Column('outlet', sa.String(length=100), nullable=False),
    sa.Column('error_streak', sa.Integer(), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('backoff_until', sa.DateTime(), nullable=True),
    sa.Column('last_error_kind', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('outlet')
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_revisit_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_next_revisit_at'), ['next_revisit_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_articles_next_revisit_at'))
        batch_op.drop_column('removed_at')
        batch_op.drop_column('next_revisit_at')

    op.drop_table('outlet_state')
    with op.batch_alter_table('fetch_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetch_state_outlet'))

    op.drop_table('fetch_state')
