"""Generate a large comments database for the scale benchmarks (bench/scale.sh).

Usage:
    .venv/bin/python -m bench.generate DATABASE_URL [--comments 1000000] [--threads 100000]
                                       [--hot 10000] [--readers 10000] [--batch 5000]

Empties the database (every table of the models), then writes, in batches whose size
bounds the memory whatever the totals:
- the site "bench" (registered origin http://127.0.0.1:8001) and --readers verified readers
  (r0@example.org is an admin; every password is bench.seed.PASSWORD);
- the thread "big" with 200 comments (the hot thread of bench/run.sh), the thread "huge"
  with --hot comments, and --threads more threads ("t0" … ) sharing the rest of --comments;
- about a quarter of the comments are replies (to any earlier comment of their thread),
  2 % are waiting for a moderator and 1 % are deleted; bodies are ~300 characters of
  Markdown with a link, rendered and folded once per distinct body and reused.
With --session FILE, r0 is signed in and the cookies written as bench/seed.py does.
A progress line on stderr shows comments written, the rate and the time left.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.seed import ORIGIN, PASSWORD, QUIET, body, write_session
from commentsvc import create_app
from commentsvc.accounts import passwords
from commentsvc.accounts.identity import display_name_key
from commentsvc.accounts.models import Reader
from commentsvc.comments import search, sites
from commentsvc.comments.models import Comment, CommentStatus, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.sanitize import render_comment

DISTINCT_BODIES = 2000


class Progress:
    """One line on stderr, rewritten at most five times a second."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started, self.shown = total, 0, time.monotonic(), 0.0

    def add(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.shown < 0.2 and self.done < self.total:
            return
        self.shown = now
        rate = self.done / max(now - self.started, 1e-9)
        left = (self.total - self.done) / rate if rate else 0
        bar = "#" * int(30 * self.done / self.total)
        sys.stderr.write(
            f"\r[{bar:<30}] {self.done:>9,}/{self.total:,} comments  {rate:>8,.0f}/s  "
            f"{left:>5.0f} s left"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def thread_sizes(args: argparse.Namespace, rng: random.Random) -> Iterator[tuple[str, int]]:
    """(key, number of comments) of every thread, the two named ones first."""
    yield "big", 200
    yield "huge", args.hot
    rest = max(args.comments - 200 - args.hot, 0)
    for n in range(args.threads):
        # Shares that differ (some articles draw many comments, most few) but add up.
        share = rest // args.threads + (1 if n < rest % args.threads else 0)
        yield f"t{n}", share


def comment_rows(
    thread_id: int,
    size: int,
    first_id: int,
    readers: int,
    bodies: list[tuple[str, str, str]],
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    start = utcnow() - timedelta(days=30)
    parents: list[tuple[int, int | None, int]] = []  # (id, root, depth)
    for i in range(size):
        comment_id = first_id + i
        parent = rng.choice(parents) if parents and rng.random() < 0.25 else None
        source, html, folded = rng.choice(bodies)
        roll = rng.random()
        status = (
            CommentStatus.PENDING
            if roll < 0.02
            else CommentStatus.DELETED
            if roll < 0.03
            else CommentStatus.APPROVED
        )
        root = (parent[1] or parent[0]) if parent else None
        depth = parent[2] + 1 if parent else 0
        if status == CommentStatus.APPROVED and len(parents) < 2000:
            parents.append((comment_id, root, depth))  # replies go to published ones
        yield {
            "id": comment_id,
            "thread_id": thread_id,
            "parent_id": parent[0] if parent else None,
            "root_id": root,
            "depth": depth,
            "author_id": 1 + (comment_id * 7919) % readers,
            "body_source": source,
            "body_html": html,
            "search_text": folded,
            "status": status,
            "score": rng.randint(-3, 20),
            "pinned": False,
            "created_at": start + timedelta(seconds=comment_id),
        }


def generate(args: argparse.Namespace) -> None:
    app = create_app(
        {
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": args.database_url,
            "TESTING": True,
            "PUBLIC_URL": "http://127.0.0.1:8000",
            "RATELIMIT_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    rng = random.Random(42)
    with app.app_context():
        db.drop_all()
        db.create_all()
        site = sites.create_site("bench", "Bench News", [ORIGIN])
        hashed = passwords.hash_password(PASSWORD)
        db.session.execute(
            insert(Reader),
            [
                {
                    "id": n + 1,
                    "email": f"r{n}@example.org",
                    "display_name": f"Reader {n}",
                    "display_name_key": display_name_key(f"Reader {n}"),
                    "password_hash": hashed,
                    "email_verified_at": utcnow(),
                    "is_admin": n == 0,
                }
                for n in range(args.readers)
            ]
            # A reader with no comment anywhere (write_session signs them in too).
            + [
                {
                    "id": args.readers + 1,
                    "email": QUIET,
                    "display_name": "Quiet Reader",
                    "display_name_key": display_name_key("Quiet Reader"),
                    "password_hash": hashed,
                    "email_verified_at": utcnow(),
                    "is_admin": False,
                }
            ],
        )
        db.session.commit()
        sources = [body(rng) for _ in range(DISTINCT_BODIES)]
        bodies = [(s, render_comment(s), search.searchable(s)) for s in sources]

        progress = Progress(200 + args.hot + max(args.comments - 200 - args.hot, 0))
        batch: list[dict[str, Any]] = []
        next_id = 1
        for thread_id, (key, size) in enumerate(thread_sizes(args, rng), start=1):
            db.session.execute(
                insert(Thread).values(
                    id=thread_id,
                    site_id=site.id,
                    key=key,
                    title=f"Article {key}",
                    url=f"{ORIGIN}/{key}",
                    comment_count=size,
                )
            )
            for row in comment_rows(thread_id, size, next_id, args.readers, bodies, rng):
                batch.append(row)
                if len(batch) >= args.batch:
                    db.session.execute(insert(Comment), batch)
                    db.session.commit()
                    progress.add(len(batch))
                    batch = []
            next_id += size
        if batch:
            db.session.execute(insert(Comment), batch)
            progress.add(len(batch))
        if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in ("reader", "thread", "comment"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                db.session.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
        db.session.commit()
        db.session.execute(text("ANALYZE"))  # fresh planner statistics for the benchmarks
        db.session.commit()
        site_id = site.id
        db.session.remove()
    if args.session:
        write_session(app, site_id, args.session)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--hot", type=int, default=10_000, help="comments in the thread 'huge'")
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument(
        "--session", type=Path, help="write r0's session cookies here (bench/seed.py's format)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    generate(args)
    print(f"generated in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
