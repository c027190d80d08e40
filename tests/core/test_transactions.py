"""On PostgreSQL, reads run outside a transaction, which begins at the first write
(commentsvc/core/transactions.py): no BEGIN or ROLLBACK for a request that only reads,
psycopg keeps the statements it prepared, a transaction that wrote is still rolled back,
and a locking read holds its locks to the end."""

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


PAGE_LIKE = text(
    "WITH kinds AS (SELECT relkind FROM pg_class WHERE relkind = :kind) SELECT count(*) FROM kinds"
)


def test_a_select_behind_a_with_keeps_the_prepared_statements_too(engine):
    # A thread's page of comments is read this way: after every new comment the next
    # page read ran it, and its rollback made every statement be planned afresh.
    for _ in range(8):
        with Session(engine) as session:
            session.execute(QUERY, {"kind": "r"}).scalar_one()
            session.execute(PAGE_LIKE, {"kind": "r"}).scalar_one()
    with Session(engine) as session:
        assert session.execute(PREPARED).scalar_one() >= 2


@pytest.mark.parametrize(
    ("statement", "reads"),
    [
        ("SELECT id FROM comment", True),
        ("  select id FROM comment FOR UPDATE", False),
        ("SELECT id FROM comment WHERE id = 1 for no key update skip locked", False),
        ("SELECT id FROM comment\nFOR SHARE", False),
        ("SELECT id, fork, for_update FROM comment", True),
        ("WITH page AS (SELECT id FROM comment) SELECT * FROM page", True),
        ("WITH RECURSIVE t AS (SELECT 1) SELECT updated_at, deleted FROM t", True),
        ("WITH changed AS (UPDATE thread SET version = 1) INSERT INTO comment VALUES (1)", False),
        ("with gone as (delete from ban returning id) select * from gone", False),
        (
            "WITH x AS (SELECT 1)\nMERGE INTO thread USING x ON true WHEN MATCHED THEN DO NOTHING",
            False,
        ),
        ("INSERT INTO comment VALUES (1)", False),
        ("UPDATE thread SET version = 2", False),
        ("CREATE TEMP TABLE scratch (n int)", False),
    ],
)
def test_which_statements_only_read(statement, reads):
    assert transactions.only_reads(statement) is reads


@pytest.mark.parametrize(
    "write",
    [
        "INSERT INTO scratch VALUES (1)",
        "WITH added AS (INSERT INTO scratch VALUES (1) RETURNING n) SELECT * FROM added",
    ],
)
def test_a_transaction_that_wrote_is_still_rolled_back(engine, write):
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS scratch (n int)"))
        conn.execute(text("DELETE FROM scratch"))
    with Session(engine) as session:
        session.execute(QUERY, {"kind": "r"}).scalar_one()
        session.execute(text(write))
        session.execute(QUERY, {"kind": "r"}).scalar_one()
    # Closed without a commit: the insert is undone.
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 0


def test_a_failed_read_is_rolled_back_and_the_connection_works_on(engine):
    with Session(engine) as session, pytest.raises(Exception, match="division by zero"):
        session.execute(text("SELECT 1 / 0")).scalar_one()
    with Session(engine) as session:
        assert session.execute(text("SELECT 2")).scalar_one() == 2


def transaction_status(session: Session) -> str:
    driver = session.connection().connection.dbapi_connection
    assert driver is not None
    return str(driver.info.transaction_status.name)


def test_reads_run_outside_a_transaction_which_begins_at_the_first_write(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS scratch (n int)"))
    with Session(engine) as session:
        session.execute(QUERY, {"kind": "r"}).scalar_one()
        session.execute(PAGE_LIKE, {"kind": "r"}).scalar_one()
        assert transaction_status(session) == "IDLE"  # no BEGIN was sent
        session.execute(text("INSERT INTO scratch VALUES (7)"))
        assert transaction_status(session) == "INTRANS"
        session.commit()
    with Session(engine) as session:  # committed, and the next session reads outside again
        assert session.execute(text("SELECT count(*) FROM scratch WHERE n = 7")).scalar_one()
        assert transaction_status(session) == "IDLE"


LOCKED = "SELECT n FROM commentsvc_lock_probe WHERE n = 1 FOR UPDATE"


def test_a_locking_read_holds_its_lock_until_the_transaction_ends(engine):
    other = create_engine(engine.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS commentsvc_lock_probe (n int)"))
            conn.execute(text("DELETE FROM commentsvc_lock_probe"))
            conn.execute(text("INSERT INTO commentsvc_lock_probe VALUES (1)"))
        with Session(engine) as session:
            assert session.execute(text(LOCKED)).scalar_one() == 1
            assert transaction_status(session) == "INTRANS"
            # Another connection cannot take the row while this session holds it.
            with other.connect() as conn, pytest.raises(Exception, match="could not obtain lock"):
                conn.execute(text(LOCKED + " NOWAIT"))
        with other.connect() as conn:  # released with the session
            assert conn.execute(text(LOCKED + " NOWAIT")).scalar_one() == 1
    finally:
        other.dispose()
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS commentsvc_lock_probe"))


def test_a_read_in_batches_runs_in_a_transaction_its_cursor_needs(engine):
    batches = text("SELECT n FROM generate_series(1, 2500) AS n").execution_options(yield_per=1000)
    with Session(engine) as session:
        assert sum(session.execute(batches).scalars()) == 2500 * 2501 // 2
