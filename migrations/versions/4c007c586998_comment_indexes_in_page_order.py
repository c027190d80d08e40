"""comment: indexes of top-level comments in page order

A thread's page lists its top-level comments pinned first, then oldest (the default) or
newest first. ix_comment_thread_top holds pinned ascending after parent_id, so SQLite
sorted every top-level comment of the thread for an oldest-first page, and PostgreSQL
(which orders by an index only after columns it knows to be equal, and "parent_id IS
NULL" is not one) for either order. These partial indexes hold the top-level comments in
page order, oldest first, and newest first when walked backwards: a page is read from
its start, and reading stops at its end.

Revision ID: 4c007c586998
Revises: e54c5b411a5e
Create Date: 2026-12-01 23:07:37.148436

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "4c007c586998"
down_revision = "e54c5b411a5e"
branch_labels = None
depends_on = None


TOP_LEVEL = "parent_id IS NULL"


def upgrade():
    top_level = {"sqlite_where": sa.text(TOP_LEVEL), "postgresql_where": sa.text(TOP_LEVEL)}
    op.create_index(
        "ix_comment_top_oldest",
        "comment",
        ["thread_id", sa.desc(sa.column("pinned")), "id"],
        **top_level,
    )
    op.create_index("ix_comment_top_newest", "comment", ["thread_id", "pinned", "id"], **top_level)


def downgrade():
    op.drop_index("ix_comment_top_newest", table_name="comment")
    op.drop_index("ix_comment_top_oldest", table_name="comment")
