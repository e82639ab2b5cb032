"""column sizes: articles.language holds a whole BCP 47 tag

Revision ID: 0004
Revises: 0003

`<html lang="Russian Federation">` made an 18-character language that PostgreSQL refused in a
String(16) column, and the article was lost. The extractor now stores only the primary subtag
(`ru`), and the column holds 35 characters (the longest tag RFC 5646 §4.4.1 asks implementations
to keep). Titles, URLs, site names and authors are already unbounded (Text, JSON).

On SQLite the table is rebuilt (Alembic batch mode); storage.db.Database.migrate turns foreign
keys off while it runs, so rebuilding `articles` does not cascade-delete what refers to it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=16), type_=sa.String(length=35), existing_nullable=True)


def downgrade() -> None:
    op.execute("UPDATE articles SET language = substr(language, 1, 16) WHERE length(language) > 16")
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=35), type_=sa.String(length=16), existing_nullable=True)
