"""Benchmark the moderation queue with 100,000 pending comments.

Usage:
    .venv/bin/python bench/moderation_queue.py                 # SQLite in a temporary file
    .venv/bin/python bench/moderation_queue.py postgresql+psycopg://user:pass@host/db
    BENCH_PENDING=20000 .venv/bin/python bench/moderation_queue.py

The database is emptied and seeded: 3 sites, 1,000 threads, 5,000 readers and
BENCH_PENDING (default 100,000) pending comments with hold reasons, plus 20,000
approved ones. It then times, as a site moderator and as an admin, the queue's
first page, a deep page (past 90% of the queue, by keyset), a filtered page (one
hold reason, one author), the per-site counts and word searches (a word in every
comment, first and deep page; a word in one comment in 1,000; an absent word; two
words), each the median of several runs. With BENCH_EXPLAIN=1 it also prints the
query plans of the searches. Results are printed and written to
bench/results/moderation-queue-<backend>.txt.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select, text

from commentsvc import create_app
from commentsvc.accounts.models import Reader
from commentsvc.comments.models import Comment, CommentStatus, Site, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.moderation import queue
from commentsvc.moderation.models import CommentHold, HoldReason, SiteModerator
from commentsvc.moderation.queue import QueueFilters

PENDING = int(os.environ.get("BENCH_PENDING", "100000"))
APPROVED = 20_000
READERS = 5_000
THREADS = 1_000
RUNS = 7
RESULTS = Path(__file__).resolve().parent / "results"


def seed(rng: random.Random) -> tuple[int, int]:
    """Fill the database; returns (moderator id, admin id)."""
    now = utcnow()
    site_ids = []
    for n in range(3):
        site = Site(slug=f"site{n}", name=f"Site {n}", origins=[f"https://s{n}.example"])
        db.session.add(site)
        db.session.flush()
        site_ids.append(site.id)
    db.session.execute(
        insert(Reader),
        [
            {
                "email": f"r{n}@example.org",
                "display_name": f"Reader {n}",
                "display_name_key": f"reader {n}",
                "password_hash": "x",
                "email_verified_at": now,
                "is_admin": n == 1,
                "created_at": now - timedelta(days=n % 900),
                "password_changed_at": now,
                "email_changed_at": now,
            }
            for n in range(READERS)
        ],
    )
    reader_ids = list(db.session.scalars(select(Reader.id).order_by(Reader.id)))
    db.session.execute(
        insert(Thread),
        [
            {
                "site_id": site_ids[n % 3],
                "key": f"a{n}",
                "title": f"Article {n}",
                "url": f"https://s{n % 3}.example/a{n}",
                "created_at": now,
            }
            for n in range(THREADS)
        ],
    )
    thread_ids = list(db.session.scalars(select(Thread.id).order_by(Thread.id)))
    moderator = reader_ids[0]
    db.session.add(SiteModerator(site_id=site_ids[0], reader_id=moderator))
    reasons = [HoldReason.NEW_READER, HoldReason.LINKS, HoldReason.SUSPICIOUS_WORDS]
    total = PENDING + APPROVED
    batch = 10_000
    for start in range(0, total, batch):
        rows = []
        for n in range(start, min(start + batch, total)):
            words = " ".join(rng.choice(("talks", "Baku", "winter", "pipeline")) for _ in range(30))
            if n % 1000 == 0:
                words += " Qəbələ"
            rows.append(
                {
                    "thread_id": rng.choice(thread_ids),
                    "author_id": rng.choice(reader_ids),
                    "body_source": words,
                    "body_html": f"<p>{words}</p>",
                    "status": CommentStatus.PENDING if n < PENDING else CommentStatus.APPROVED,
                    "created_at": now - timedelta(seconds=total - n),
                }
            )
        db.session.execute(insert(Comment), rows)
    first_pending = db.session.scalar(select(func.min(Comment.id))) or 0
    for start in range(0, PENDING, batch):
        db.session.execute(
            insert(CommentHold),
            [
                {
                    "comment_id": first_pending + n,
                    "reason": reasons[n % 3],
                    "detail": "",
                    "created_at": now,
                }
                for n in range(start, min(start + batch, PENDING))
            ],
        )
    db.session.commit()
    # Fresh statistics (and on PostgreSQL a visibility map for index-only scans), as
    # autovacuum gives a database that has run for a while.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE")
        )
    return moderator, reader_ids[1]


def timed(label: str, work: Callable[[], object], out: list[str]) -> None:
    samples = []
    for _ in range(RUNS):
        db.session.expire_all()
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    line = f"{label:<56} median {statistics.median(samples):8.1f} ms   max {max(samples):8.1f} ms"
    print(line)
    out.append(line)


def explain(moderator: Reader, deep: int) -> None:
    """Print the plans of the moderator's searches (EXPLAIN ANALYZE on PostgreSQL)."""
    postgresql = db.engine.dialect.name == "postgresql"
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "comment_search" in statement or "to_tsquery" in statement:
            captured.append((statement, parameters))

    for words, after in (("pipeline", None), ("pipeline", deep), ("zeppelin", None)):
        captured.clear()
        event.listen(db.engine, "before_cursor_execute", capture)
        queue.pending(moderator, QueueFilters(text=words), after)
        event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = captured[0]
        prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if postgresql else "EXPLAIN QUERY PLAN "
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()  # type: ignore[arg-type]
        print(f"-- {words} after {after}")
        for row in rows:
            print("  ", row[-1])


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else ""
    scratch = tempfile.mkdtemp()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": url or f"sqlite:///{scratch}/moderation-bench.sqlite3",
        }
    )
    backend = app.config["DATABASE_URL"].split(":")[0]
    out = [f"# moderation queue, {PENDING:,} pending comments, {backend}"]
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        moderator_id, admin_id = seed(random.Random(4))
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        moderator = db.session.get(Reader, moderator_id)
        admin = db.session.get(Reader, admin_id)
        assert moderator is not None
        assert admin is not None
        deep = db.session.scalar(
            select(Comment.id)
            .where(Comment.status == CommentStatus.PENDING)
            .order_by(Comment.id)
            .offset(int(PENDING * 0.9))
            .limit(1)
        )
        author = db.session.scalar(select(Comment.author_id).limit(1))
        for who, reader in (("site moderator", moderator), ("admin", admin)):
            timed(f"{who}: first page", lambda r=reader: queue.pending(r, QueueFilters()), out)
            timed(
                f"{who}: deep page (after 90%)",
                lambda r=reader: queue.pending(r, QueueFilters(), after=deep),
                out,
            )
            timed(
                f"{who}: reason filter, deep page",
                lambda r=reader: queue.pending(r, QueueFilters(reason="links"), after=deep),
                out,
            )
            timed(
                f"{who}: one author",
                lambda r=reader: queue.pending(r, QueueFilters(author_id=author)),
                out,
            )
            timed(
                f"{who}: pending per site (pending-state)",
                lambda r=reader: queue.pending_state(r, since=deep),
                out,
            )
            # Word search runs on the index of pending comments' words.
            for label, words, after in (
                ("common word", "pipeline", None),
                ("common word, deep page", "pipeline", deep),
                ("rare word", "QEBELE", None),
                ("absent word", "zeppelin", None),
                ("two words", "Baku winter", None),
            ):
                timed(
                    f"{who}: text search, {label}",
                    lambda r=reader, w=words, a=after: queue.pending(r, QueueFilters(text=w), a),
                    out,
                )
        page = queue.pending(admin, QueueFilters(), after=deep)
        assert len(page.items) == queue.PAGE_SIZE
        rare = queue.pending(admin, QueueFilters(text="qəbələ"), page_size=1000).items
        assert len(rare) == len(range(0, PENDING, 1000))
        assert not queue.pending(admin, QueueFilters(text="zeppelin")).items
        if os.environ.get("BENCH_EXPLAIN"):
            explain(moderator, deep)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"moderation-queue-{backend.split('+')[0]}.txt").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
