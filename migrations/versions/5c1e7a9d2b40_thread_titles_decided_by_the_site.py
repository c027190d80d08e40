"""thread titles decided by the site: signing secret, signed-only switch, title source

Existing threads keep their titles as provisional ("snippet") ones and existing sites
stay unsigned, through server defaults, so the NOT NULL columns fit populated tables.

Revision ID: 5c1e7a9d2b40
Revises: 5c1e2f7a9b30
Create Date: 2026-11-30 04:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5c1e7a9d2b40"
down_revision = "5c1e2f7a9b30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "require_signed_threads",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "title_source", sa.String(length=10), nullable=False, server_default="snippet"
            )
        )


def downgrade():
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_column("title_source")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("require_signed_threads")
        batch_op.drop_column("thread_secret")
