"""The migrations build exactly the schema the models describe, and take it down again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import MetaData, inspect

from commentsvc import create_app
from commentsvc.core.extensions import db, render_migration_item
from tests.conftest import TEST_DATABASE_URL, make_config

# PostgreSQL runs too when COMMENTSVC_TEST_DATABASE_URL names one.
BACKENDS = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]


def drop_every_table() -> None:
    """Drop whatever the database holds, alembic_version included."""
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
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_migration_item}
        )
        return list(compare_metadata(context, db.metadata))


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_on_an_empty_database_gives_the_models_schema(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        assert tables() == {*db.metadata.tables, "alembic_version"}
        assert schema_diff() == []


def test_downgrade_to_base_leaves_only_the_version_table(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert tables() == {"alembic_version"}


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
