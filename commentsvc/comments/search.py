# ruff: noqa: RUF001, RUF002 -- Azerbaijani, Turkish and Russian letters on purpose
"""Word search in comments: one folding of text for what is stored and what is asked.

Comments keep their text folded in `comment.search_text` (lower case, without accents,
Azerbaijani/Turkish ə ı İ and Russian ё folded to e i i е, punctuation dropped, words
separated by single spaces), set by the model whenever `body_source` changes. The same
folding applied to a query makes both backends find the same comments.

Words match whole words (after folding), every word of a query must be in a comment.
Pending comments are indexed (the moderation queue searches them):
- PostgreSQL: a GIN index on `to_tsvector('simple', <search_text while pending>)`, an
  expression (not a partial index) so that ANALYZE keeps word statistics of pending
  comments and the planner knows an absent word from a common one;
- SQLite: an FTS5 table of `comment.search_text` (contentless: ids only) kept in step
  by triggers on `comment`, so every write path (ORM, bulk updates, foreign key
  cascades from a deleted thread, site or account) keeps it right.

Neither is visible to SQLAlchemy models: `install` creates them (called when the
comment table is created, and by the migration), and `owns` lets Alembic's
autogenerate leave them alone. A migration that rebuilds the comment table on SQLite
(batch mode "move and copy") drops the triggers and must call the DDL again.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Connection, text

TABLE = "comment_search"  # SQLite FTS5 table (and its shadow tables comment_search_*)
INDEX = "ix_comment_search"  # PostgreSQL GIN index
MAX_WORD = 100  # longer words are cut (PostgreSQL skips words over 2 KB)

# Letters with no Unicode decomposition that readers type without their marks.
_PLAIN = str.maketrans(
    {"ə": "e", "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe"}
)
_WORD = re.compile(r"[^\W_]+")


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Text without case or accents: "ŞƏHƏR" and "şəhər" give "seher", "Ёлка" "елка",
    "İstanbul" and "ıstanbul" give "istanbul"."""
    return _strip_marks(_strip_marks(text).casefold()).translate(_PLAIN)


def words(text: str) -> list[str]:
    """The folded words of a text (letters and digits), in order, duplicates kept."""
    return [w[:MAX_WORD] for w in _WORD.findall(fold(text))]


def searchable(source: str) -> str:
    """What `comment.search_text` holds for a comment's source text."""
    return " ".join(words(source))


def query_words(query: str) -> list[str]:
    """The distinct words of a search, in order; empty: no filter."""
    return list(dict.fromkeys(words(query)))


def pg_vector(qualifier: str = "") -> str:
    """PostgreSQL: the indexed expression (a query must spell it the same way)."""
    return (
        f"to_tsvector('simple'::regconfig, CASE WHEN {qualifier}status = 'pending' "
        f"THEN {qualifier}search_text ELSE '' END)"
    )


def fts5_query(found: list[str]) -> str:
    """SQLite FTS5: every word, quoted ("seher" "baki").

    Quoting keeps FTS5 syntax (AND, OR, NOT, NEAR, -, :, *, ^, parentheses) literal.
    """
    return " ".join('"' + w.replace('"', '""') + '"' for w in found)


_SQLITE = [
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
_POSTGRESQL = [f"CREATE INDEX ix_comment_search ON comment USING gin ({pg_vector()})"]


def install(connection: Connection) -> None:
    """Create (and fill) the index of pending comments; the comment table must exist."""
    uninstall(connection)
    statements = _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        connection.execute(text(statement))


def uninstall(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
        return
    for trigger in ("insert", "delete", "update"):
        connection.execute(text(f"DROP TRIGGER IF EXISTS {TABLE}_{trigger}"))
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))


def structures(connection: Connection) -> list[tuple[str, str]]:
    """The search structures the database holds, as (name, definition)."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE indexname = :name AND schemaname = current_schema()"
            ),
            {"name": INDEX},
        )
    else:
        rows = connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE name IN ('comment_search', "
                "'comment_search_insert', 'comment_search_delete', 'comment_search_update') "
                "ORDER BY name"
            )
        )
    return [(str(name), str(sql)) for name, sql in rows]


def installed(connection: Connection) -> bool:
    expected = 1 if connection.dialect.name == "postgresql" else 4
    return len(structures(connection)) == expected


def owns(name: str | None) -> bool:
    """Whether a table or index name is one of the search structures."""
    return name is not None and (name in (TABLE, INDEX) or name.startswith(TABLE + "_"))


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic autogenerate: leave the search structures out of model comparisons."""
    return not owns(name)
