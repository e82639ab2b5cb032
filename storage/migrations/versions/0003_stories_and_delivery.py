"""stories and delivery

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 05:31:16.613230

Stories (near-duplicate groups with their LSH band keys), per-watch story state for follow-ups,
alert kinds and idempotency keys, and delivery retry times. Revision id 0003 is this branch's;
the lead re-chains it after 0002 at merge.
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0003'
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_article_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['first_article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stories_first_article_id'), ['first_article_id'], unique=False)

    op.create_table('story_bands',
    sa.Column('band', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('band', 'article_id')
    )
    op.create_table('story_articles',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('similarity', sa.Float(), nullable=True),
    sa.Column('signature', sa.LargeBinary(), nullable=True),
    sa.Column('shingles', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id')
    )
    with op.batch_alter_table('story_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_articles_story_id'), ['story_id'], unique=False)

    op.create_table('watch_stories',
    sa.Column('watch_id', sa.String(length=200), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('last_message_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('articles', sa.JSON(), nullable=False),
    sa.Column('announced', sa.JSON(), nullable=False),
    sa.Column('waiting', sa.JSON(), nullable=False),
    sa.Column('followup_due_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('watch_id', 'story_id')
    )
    with op.batch_alter_table('watch_stories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_stories_followup_due_at'), ['followup_due_at'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('story_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='story'))
        batch_op.add_column(sa.Column('key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('outlets', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('items', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.alter_column('article_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_alerts_story_id'), ['story_id'], unique=False)
        batch_op.create_foreign_key('fk_alerts_story_id', 'stories', ['story_id'], ['id'], ondelete='CASCADE')
    # alerts made before this migration get a key of their own, then keys become required and unique
    op.execute("UPDATE alerts SET key = 'alert-' || CAST(id AS VARCHAR(20)) WHERE key IS NULL")
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None, existing_type=sa.String(length=16), existing_nullable=False)
        batch_op.alter_column('outlets', server_default=None, existing_type=sa.JSON(), existing_nullable=False)
        batch_op.alter_column('items', server_default=None, existing_type=sa.JSON(), existing_nullable=False)
        batch_op.alter_column('key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_alerts_key', ['key'])

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_deliveries_status_next_attempt', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_status_next_attempt')
        batch_op.drop_column('next_attempt_at')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alerts_story_id', type_='foreignkey')
        batch_op.drop_constraint('uq_alerts_key', type_='unique')
        batch_op.drop_index(batch_op.f('ix_alerts_story_id'))
        batch_op.alter_column('article_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('items')
        batch_op.drop_column('outlets')
        batch_op.drop_column('key')
        batch_op.drop_column('kind')
        batch_op.drop_column('story_id')

    with op.batch_alter_table('watch_stories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_stories_followup_due_at'))

    op.drop_table('watch_stories')
    with op.batch_alter_table('story_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_articles_story_id'))

    op.drop_table('story_articles')
    op.drop_table('story_bands')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stories_first_article_id'))

    op.drop_table('stories')
