"""The migrations build exactly the schema the models describe, and take it down again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, current_app
from sqlalchemy import MetaData, column, insert, inspect, table, text

from commentsvc import create_app
from commentsvc.comments import search
from commentsvc.comments.models import Site, Thread
from commentsvc.core.extensions import db, utcnow
from tests.conftest import TEST_DATABASE_URL, make_config

# PostgreSQL runs too when COMMENTSVC_TEST_DATABASE_URL names one.
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]


def drop_every_table() -> None:
    """Drop whatever the database holds, alembic_version included."""
    with db.engine.begin() as connection:
        search.uninstall(connection)  # the FTS5 table first: its shadow tables go with it
    reflected = MetaData()
    reflected.reflect(db.engine)
    reflected.drop_all(db.engine)


@pytest.fixture
def keep_logging() -> Iterator[None]:
    # Alembic's env.py runs logging.fileConfig(), which would silence every logger
    # that already exists for the rest of the session.
    manager = logging.Logger.manager
    loggers = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    root = logging.getLogger()
    root_state = (root.level, list(root.handlers))
    yield
    for name, (disabled, level, handlers, propagate) in loggers.items():
        logger = logging.getLogger(name)
        logger.disabled, logger.level, logger.handlers, logger.propagate = (
            disabled,
            level,
            handlers,
            propagate,
        )
    root.level, root.handlers = root_state


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path, keep_logging) -> Iterator[Flask]:
    if request.param == "postgresql":
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app(make_config(tmp_path, 25, DATABASE_URL=url))
    with app.app_context():
        drop_every_table()
        assert inspect(db.engine).get_table_names() == []
    yield app
    with app.app_context():
        db.session.remove()
        drop_every_table()
        db.engine.dispose()


def schema_diff() -> list[Any]:
    """What autogenerate would put in a new migration: empty when models and database agree."""
    with db.engine.connect() as connection:
        # The app's own options: the word-search structures (outside the models) left out.
        opts = current_app.extensions["migrate"].configure_args
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, db.metadata))


def tables() -> set[str]:
    """Tables, without the word-search FTS5 table (and its shadow tables) on SQLite."""
    return {name for name in inspect(db.engine).get_table_names() if not search.owns(name)}


def search_structures() -> list[tuple[str, str]]:
    with db.engine.connect() as connection:
        return search.structures(connection)


def test_upgrade_on_an_empty_database_gives_the_models_schema(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        assert tables() == {*db.metadata.tables, "alembic_version"}
        assert schema_diff() == []


def test_upgrade_builds_the_word_search_index_the_app_builds(empty_app):
    with empty_app.app_context():
        db.create_all()
        built = search_structures()
        assert len(built) == (1 if db.engine.dialect.name == "postgresql" else 4)
        drop_every_table()
        flask_migrate.upgrade()
        assert search_structures() == built


def found_by_search(words: str) -> list[int]:
    if db.engine.dialect.name == "postgresql":
        vector = search.pg_vector()  # a constant expression, the words are a parameter
        sql = f"SELECT id FROM comment WHERE {vector} @@ plainto_tsquery('simple', :q)"  # noqa: S608
    else:
        sql = "SELECT rowid FROM comment_search WHERE comment_search MATCH :q"
        words = search.fts5_query(search.query_words(words))
    with db.engine.connect() as connection:
        return sorted(connection.scalars(text(sql), {"q": words}))


def test_upgrade_folds_and_indexes_the_comments_already_there(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade(revision="5c1e7a9d2b40")
        comment = table(
            "comment",
            *(column(name) for name in ("id", "thread_id", "depth", "body_source", "body_html")),
            *(column(name) for name in ("status", "score", "pinned", "created_at")),
        )
        with db.engine.begin() as connection:
            connection.execute(insert(Site).values(id=1, slug="s", name="S"))
            connection.execute(insert(Thread).values(id=1, site_id=1, key="a"))
            for n, (body, status) in enumerate(
                [("ŞƏHƏR mərkəzi", "pending"), ("Şəhər, yenə", "approved")], start=1
            ):
                connection.execute(
                    insert(comment).values(
                        id=n,
                        thread_id=1,
                        depth=0,
                        body_source=body,
                        body_html="",
                        status=status,
                        score=0,
                        pinned=False,
                        created_at=utcnow(),
                    )
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            folded = connection.execute(text("SELECT search_text FROM comment ORDER BY id"))
            assert list(folded.scalars()) == ["seher merkezi", "seher yene"]
        assert found_by_search("seher") == [1]
        assert found_by_search("merkezi seher") == [1]
        assert found_by_search("yene") == []


def test_upgrade_opens_the_links_of_stored_comments_in_a_new_tab(empty_app):
    old_link = '<a href="https://example.org/" rel="nofollow ugc noopener noreferrer">x</a>'
    typed = "<p>rel=&quot;nofollow ugc noopener noreferrer&quot;&gt; typed as text</p>"
    with empty_app.app_context():
        flask_migrate.upgrade(revision="8d3f6a1c0e57")
        comment = table(
            "comment",
            *(column(name) for name in ("id", "thread_id", "depth", "body_source", "body_html")),
            *(column(name) for name in ("status", "score", "pinned", "created_at")),
        )
        with db.engine.begin() as connection:
            connection.execute(insert(Site).values(id=1, slug="s", name="S"))
            connection.execute(insert(Thread).values(id=1, site_id=1, key="a"))
            for n, html in enumerate([f"<p>see {old_link}</p>", typed], start=1):
                connection.execute(
                    insert(comment).values(
                        id=n,
                        thread_id=1,
                        depth=0,
                        body_source="",
                        body_html=html,
                        status="approved",
                        score=0,
                        pinned=False,
                        created_at=utcnow(),
                    )
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            stored = list(connection.scalars(text("SELECT body_html FROM comment ORDER BY id")))
        assert stored == [
            '<p>see <a href="https://example.org/" rel="nofollow ugc noopener noreferrer"'
            ' target="_blank">x</a></p>',
            typed,
        ]
        flask_migrate.downgrade(revision="8d3f6a1c0e57")
        with db.engine.connect() as connection:
            stored = list(connection.scalars(text("SELECT body_html FROM comment ORDER BY id")))
        assert stored == [f"<p>see {old_link}</p>", typed]


def test_downgrade_to_base_leaves_only_the_version_table(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert tables() == {"alembic_version"}
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        assert search_structures() == []


def test_upgrade_works_again_after_a_full_downgrade(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        assert schema_diff() == []


def test_each_revision_downgrades_one_step_at_a_time(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        steps = 0
        while tables() != {"alembic_version"}:
            flask_migrate.downgrade(revision="-1")
            steps += 1
            assert steps < 100, "downgrade does not reach base"
        assert steps >= 1
