"""imports: imported authors, what each source record became, and imported names

Comments moved in from Disqus, WordPress, Isso or an export keep their author's name
(comment.imported_name) without an account. imported_author holds those authors (with
the address a reader may later claim their comments by); imported_item records which
record of which source became which thread or comment, so an import run twice adds
nothing.

Revision ID: f42d3f8eb2ba
Revises: e2b9c4d7a1f0
Create Date: 2026-11-30 15:12:25.184705

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f42d3f8eb2ba"
down_revision = "e2b9c4d7a1f0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "imported_author",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("reader_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reader_id"],
            ["reader.id"],
            name=op.f("fk_imported_author_reader_id_reader"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_imported_author_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_author")),
        sa.UniqueConstraint(
            "site_id", "source", "source_key", name=op.f("uq_imported_author_site_id")
        ),
    )
    op.create_index("ix_imported_author_email", "imported_author", ["email"])
    op.create_index("ix_imported_author_reader_id", "imported_author", ["reader_id"])

    op.create_table(
        "imported_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("imported_author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name=op.f("fk_imported_item_comment_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["imported_author_id"],
            ["imported_author.id"],
            name=op.f("fk_imported_item_imported_author_id_imported_author"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_imported_item_site_id_site"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["thread.id"],
            name=op.f("fk_imported_item_thread_id_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_item")),
        sa.UniqueConstraint(
            "site_id", "source", "kind", "source_id", name=op.f("uq_imported_item_site_id")
        ),
    )
    op.create_index("ix_imported_item_comment_id", "imported_item", ["comment_id"])
    op.create_index("ix_imported_item_imported_author_id", "imported_item", ["imported_author_id"])
    op.create_index("ix_imported_item_thread_id", "imported_item", ["thread_id"])

    # A plain ADD COLUMN on both databases: the comment table (and the word-search
    # triggers on it) stays as it is.
    op.add_column("comment", sa.Column("imported_name", sa.String(length=100), nullable=True))


def downgrade():
    op.drop_column("comment", "imported_name")
    op.drop_index("ix_imported_item_thread_id", table_name="imported_item")
    op.drop_index("ix_imported_item_imported_author_id", table_name="imported_item")
    op.drop_index("ix_imported_item_comment_id", table_name="imported_item")
    op.drop_table("imported_item")
    op.drop_index("ix_imported_author_reader_id", table_name="imported_author")
    op.drop_index("ix_imported_author_email", table_name="imported_author")
    op.drop_table("imported_author")
