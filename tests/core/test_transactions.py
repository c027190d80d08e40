"""Read-only transactions on PostgreSQL end with COMMIT, so psycopg keeps the statements
it prepared (commentsvc/core/transactions.py); a transaction that wrote is still rolled
back."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from commentsvc.core import transactions
from tests.conftest import TEST_DATABASE_URL


def postgres_url() -> str | None:
    if TEST_DATABASE_URL.startswith("postgresql"):
        return TEST_DATABASE_URL
    return os.environ.get("COMMENTSVC_TEST_POSTGRES_URL") or None


@pytest.fixture
def engine() -> Iterator[Engine]:
    url = postgres_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL URL: CI must run the transaction tests")
        pytest.skip("set COMMENTSVC_TEST_POSTGRES_URL to run")
    # One connection, so that each session below continues on the previous one's.
    engine = create_engine(url, poolclass=StaticPool)
    transactions.watch(engine)
    yield engine
    engine.dispose()


QUERY = text("SELECT count(*) FROM pg_class WHERE relkind = :kind")
PREPARED = text("SELECT count(*) FROM pg_prepared_statements")


def test_reading_sessions_keep_the_statements_the_driver_prepared(engine):
    for _ in range(8):  # psycopg prepares a query from its fifth run on a connection
        with Session(engine) as session:
            session.execute(QUERY, {"kind": "r"}).scalar_one()
    with Session(engine) as session:
        assert session.execute(PREPARED).scalar_one() >= 1


def test_a_transaction_that_wrote_is_still_rolled_back(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS scratch (n int)"))
        conn.execute(text("DELETE FROM scratch"))
    with Session(engine) as session:
        session.execute(QUERY, {"kind": "r"}).scalar_one()
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        session.execute(QUERY, {"kind": "r"}).scalar_one()
    # Closed without a commit: the insert is undone.
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 0


def test_a_failed_read_is_rolled_back_and_the_connection_works_on(engine):
    with Session(engine) as session, pytest.raises(Exception, match="division by zero"):
        session.execute(text("SELECT 1 / 0")).scalar_one()
    with Session(engine) as session:
        assert session.execute(text("SELECT 2")).scalar_one() == 2
