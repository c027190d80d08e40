# ruff: noqa: RUF001 -- the Azerbaijani and Turkish dotless i on purpose
"""word search in pending comments: folded text, GIN index (PostgreSQL), FTS5 (SQLite)

comment.search_text holds body_source folded for search (no case, no accents; see
commentsvc/comments/search.py, whose folding and DDL are copied here as they are
today, as migrations never import application code). Existing comments are folded
here. Pending comments are then indexed: on PostgreSQL by a GIN index on their words, on
SQLite by an FTS5 table kept in step by triggers on comment.

Revision ID: 7b3d9e1f4a62
Revises: 5c1e7a9d2b40
Create Date: 2026-11-30 07:10:00.000000

"""

import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7b3d9e1f4a62"
down_revision = "5c1e7a9d2b40"
branch_labels = None
depends_on = None

MAX_WORD = 100
PLAIN = str.maketrans(
    {"ə": "e", "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe"}
)
WORD = re.compile(r"[^\W_]+")


def strip_marks(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def searchable(source):
    folded = strip_marks(strip_marks(source).casefold()).translate(PLAIN)
    return " ".join(w[:MAX_WORD] for w in WORD.findall(folded))


SQLITE = [
    "CREATE VIRTUAL TABLE comment_search USING fts5(search_text, content='', columnsize=0)",
    "INSERT INTO comment_search(rowid, search_text) "
    "SELECT id, search_text FROM comment WHERE status = 'pending'",
    "CREATE TRIGGER comment_search_insert AFTER INSERT ON comment "
    "WHEN new.status = 'pending' BEGIN "
    "INSERT INTO comment_search(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER comment_search_delete AFTER DELETE ON comment "
    "WHEN old.status = 'pending' BEGIN "
    "INSERT INTO comment_search(comment_search, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER comment_search_update AFTER UPDATE OF status, search_text ON comment "
    "WHEN old.status = 'pending' OR new.status = 'pending' BEGIN "
    "INSERT INTO comment_search(comment_search, rowid, search_text) "
    "SELECT 'delete', old.id, old.search_text WHERE old.status = 'pending'; "
    "INSERT INTO comment_search(rowid, search_text) "
    "SELECT new.id, new.search_text WHERE new.status = 'pending'; END",
]
POSTGRESQL = [
    "CREATE INDEX ix_comment_search ON comment USING gin (to_tsvector('simple'::regconfig, "
    "CASE WHEN status = 'pending' THEN search_text ELSE '' END))",
]


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    comment = sa.table(
        "comment",
        sa.column("id", sa.Integer),
        sa.column("body_source", sa.Text),
        sa.column("search_text", sa.Text),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(comment.c.id, comment.c.body_source)
            .where(comment.c.id > last)
            .order_by(comment.c.id)
            .limit(5000)
        ).all()
        if not rows:
            break
        connection.execute(
            comment.update()
            .where(comment.c.id == sa.bindparam("comment_id"))
            .values(search_text=sa.bindparam("folded")),
            [{"comment_id": i, "folded": searchable(source or "")} for i, source in rows],
        )
        last = rows[-1][0]
    for statement in POSTGRESQL if connection.dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_comment_search")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS comment_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS comment_search")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("search_text")
