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
from sqlalchemy import MetaData, inspect

from commentsvc import create_app
from commentsvc.comments import search
from commentsvc.core.extensions import db
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
