"""site sightings: the first load of the widget and the banner per registered origin

Revision ID: 8d3f6a1c0e57
Revises: 7b3d9e1f4a62
Create Date: 2026-11-30 07:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "8d3f6a1c0e57"
down_revision = "7b3d9e1f4a62"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "site_sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_site_sighting_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_sighting")),
        sa.UniqueConstraint("site_id", "kind", "origin", name=op.f("uq_site_sighting_site_id")),
    )


def downgrade():
    op.drop_table("site_sighting")
