"""search index and raw-page retention

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 10:50:00

The full-text index (SQLite FTS5, or a PostgreSQL tsvector with a GIN index) filled from the
articles already archived, and `revisions.raw_pruned_at` for `archive.keep_raw`. Revision id 0005
is this branch's; the lead re-chains it at merge.
"""
import logging

from alembic import op
import sqlalchemy as sa

import storage.types
from storage.search import create_index, reindex


revision = '0005'
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw_pruned_at', storage.types.UTCDateTime(), nullable=True))
    connection = op.get_bind()
    create_index(connection)
    indexed = reindex(connection)
    if indexed:
        logging.getLogger("newswatch").warning("indexed %d archived article(s) for `archive search`", indexed)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS search_index")
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('raw_pruned_at')
