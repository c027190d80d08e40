"""widget look per site: accent colour and font stack

Revision ID: c7e1f3a9d205
Revises: c7e1d94b2a50
Create Date: 2026-11-30 09:50:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c7e1f3a9d205"
down_revision = "c7e1d94b2a50"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("site", sa.Column("accent_color", sa.String(length=7), nullable=True))
    op.add_column("site", sa.Column("font_stack", sa.String(length=20), nullable=True))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of "site" would
    # cascade-delete every thread and comment of the sites when the old table is dropped.
    op.drop_column("site", "font_stack")
    op.drop_column("site", "accent_color")
