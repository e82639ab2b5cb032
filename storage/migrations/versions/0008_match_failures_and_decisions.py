"""match failures and alert decisions

Revision ID: 0008
Revises: 0004

`match_failures`: articles whose matching raised, with the (masked) error, the attempt count and
the next retry. `alert_decisions`: matches that sent nothing, with the reason. Revision id 0008 is
this branch's; the lead re-chains it at merge.
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_failures",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("outlet", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("failed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("retry_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    with op.batch_alter_table("match_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_failures_outlet"), ["outlet"], unique=False)
    op.create_table(
        "alert_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watch_id", sa.String(length=200), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("watch_id", "article_id", "reason", name="uq_alert_decisions_watch_article_reason"),
    )
    with op.batch_alter_table("alert_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_decisions_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_decisions_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_decisions_created_at"))
        batch_op.drop_index(batch_op.f("ix_alert_decisions_article_id"))
    op.drop_table("alert_decisions")
    with op.batch_alter_table("match_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_failures_outlet"))
    op.drop_table("match_failures")
