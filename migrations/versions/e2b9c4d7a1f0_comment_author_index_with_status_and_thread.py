"""comment: the author index also holds status and thread

A signed-in reader's thread page asks whether they have a pending comment in the thread
(their page then differs from everyone's). With the author alone indexed, the database
walked every comment the reader ever wrote; with (author_id, status, thread_id) it is one
probe. The new index still serves lookups by author alone, so the old one goes.

Revision ID: e2b9c4d7a1f0
Revises: c7e1f3a9d205
Create Date: 2026-11-30 11:05:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "e2b9c4d7a1f0"
down_revision = "c7e1f3a9d205"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_comment_author_status_thread", "comment", ["author_id", "status", "thread_id"]
    )
    op.drop_index("ix_comment_author_id", table_name="comment")


def downgrade():
    op.create_index("ix_comment_author_id", "comment", ["author_id"])
    op.drop_index("ix_comment_author_status_thread", table_name="comment")
