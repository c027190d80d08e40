"""comment links open a new top-level tab: add target="_blank" to stored comment HTML

The sanitiser now writes target="_blank" next to the rel it always set on a comment's
links. Stored HTML was cleaned by the same sanitiser, so every link in it ends with
exactly this rel and nothing else can: in text, ">" is stored as "&gt;".

Revision ID: a4c2e8f06b13
Revises: 8d3f6a1c0e57
Create Date: 2026-11-30 09:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a4c2e8f06b13"
down_revision = "8d3f6a1c0e57"
branch_labels = None
depends_on = None

OLD = ' rel="nofollow ugc noopener noreferrer">'
NEW = ' rel="nofollow ugc noopener noreferrer" target="_blank">'


def _replace(old: str, new: str) -> None:
    comment = sa.table("comment", sa.column("body_html", sa.Text))
    op.execute(
        comment.update()
        .where(comment.c.body_html.contains(old, autoescape=True))
        .values(body_html=sa.func.replace(comment.c.body_html, old, new))
    )


def upgrade():
    _replace(OLD, NEW)


def downgrade():
    _replace(NEW, OLD)
