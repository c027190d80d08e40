"""Seed a benchmark database: one thread of 200 comments, 1,000 threads of 10, and 200
comments waiting in the moderation queue, on a site with every moderation rule on.

Usage: python bench/seed.py DATABASE_URL OUT_DIR
Writes OUT_DIR/session.txt with a signed-in session cookie and its CSRF token, for the
signed-in, posting and moderator benchmarks (the reader, r0, is also an admin); on its
third line the same reader's widget session cookie (signed in to the bench site's widget,
as the sign-in popup does), and on its fourth the widget session cookie of a reader with
no comment or vote in the big thread.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pyotp
from flask import Flask
from sqlalchemy import insert, text

from commentsvc import create_app
from commentsvc.accounts import passwords, widget_sign_in
from commentsvc.accounts.identity import display_name_key
from commentsvc.accounts.models import Reader, TotpFactor
from commentsvc.comments import sites
from commentsvc.comments.models import Comment, CommentStatus, ModerationPolicy, Thread
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.sanitize import render_comment

ORIGIN = "http://127.0.0.1:8001"
# Stems of the bench site's word lists (each with numbers: 100 suspicious, 30 banned).
SUSPICIOUS = ("casino", "crypto", "loan", "pills", "giveaway")
BANNED = ("slur", "threat", "doxx")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "benchmark passphrase of some length"
QUIET = "quiet@example.org"
# The admin's authenticator app (a fresh secret each seeding).
TOTP_SECRET = pyotp.random_base32()
WORDS = (
    "the",
    "minister",
    "said",
    "talks",
    "would",
    "resume",
    "after",
    "the",
    "holiday",
    "while",
    "analysts",
    "in",
    "Baku",
    "and",
    "Tbilisi",
    "doubted",
    "that",
    "any",
    "agreement",
    "could",
    "survive",
    "another",
    "winter",
    "of",
    "shelling",
    "and",
    "sanctions",
    "energy",
    "prices",
    "rose",
    "again",
    "as",
    "pipelines",
    "ran",
    "below",
    "capacity",
)


def body(rng: random.Random) -> str:
    """About 300 characters of Markdown with emphasis, a link and sometimes a quote."""
    words = [rng.choice(WORDS) for _ in range(45)]
    words[3] = f"**{words[3]}**"
    words[9] = f"*{words[9]}*"
    text = " ".join(words)
    text += " [source](https://news.example/a/" + str(rng.randint(1, 10_000)) + ")."
    if rng.random() < 0.3:
        text = "> " + " ".join(rng.choice(WORDS) for _ in range(8)) + "\n\n" + text
    return text[:320]


def add_thread(
    key: str, size: int, readers: list[int], rng: random.Random, site_id: int, pending: int = 0
) -> None:
    thread = Thread(
        site_id=site_id, key=key, title=f"Article {key}", url=f"{ORIGIN}/{key}", comment_count=size
    )
    db.session.add(thread)
    db.session.flush()
    ids: list[tuple[int, int | None, int]] = []  # (id, root, depth)
    for i in range(size):
        parent = rng.choice(ids) if ids and rng.random() < 0.25 else None
        source = body(rng)
        row = {
            "thread_id": thread.id,
            "parent_id": parent[0] if parent else None,
            "root_id": (parent[1] or parent[0]) if parent else None,
            "depth": parent[2] + 1 if parent else 0,
            "author_id": readers[i % len(readers)],
            "body_source": source,
            "body_html": render_comment(source),
            "status": CommentStatus.APPROVED,
            "score": rng.randint(-3, 20),
            "pinned": False,
            "created_at": utcnow(),
        }
        new_id = db.session.execute(insert(Comment).values(**row)).inserted_primary_key[0]
        ids.append((new_id, row["root_id"], row["depth"]))
    for i in range(pending):
        source = body(rng)
        db.session.execute(
            insert(Comment).values(
                thread_id=thread.id,
                depth=0,
                author_id=readers[(size + i) % len(readers)],
                body_source=source,
                body_html=render_comment(source),
                status=CommentStatus.PENDING,
                created_at=utcnow(),
            )
        )


def write_session(app: Flask, site_id: int, path: Path) -> None:
    """Sign r0@example.org in (first-party and in the widget of site_id) and write, one
    per line: the session cookie, its CSRF token and the widget's cookie."""
    client = app.test_client()
    form = CSRF.search(client.get("/auth/sign-in").text)
    assert form, "no CSRF token on the sign-in page"
    answer = client.post(
        "/auth/sign-in",
        data={
            "email": "r0@example.org",
            "password": PASSWORD,
            "csrf_token": form.group(1),
        },
    )
    if answer.headers.get("Location") == "/auth/two-step":
        # r0 is an admin with an app (main() sets it up): staff sign in with their
        # second factor, which the moderator benchmark's staff pages need.
        form = CSRF.search(client.get("/auth/two-step").text)
        assert form, "no CSRF token on the second step"
        code = pyotp.TOTP(TOTP_SECRET).now()
        answer = client.post("/auth/two-step", data={"code": code, "csrf_token": form.group(1)})
        assert answer.status_code == 303, "the second step refused the app's code"
    token = CSRF.search(client.get("/account").text)
    assert token, "sign-in failed: no CSRF token on the account page"
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    lines = [f"{cookie.key}={cookie.value}", token.group(1)]
    # The same reader signed in to the bench site's widget (its own cookie, under /embed),
    # then a reader with no comment or vote in the big thread.
    for email in ("r0@example.org", QUIET):
        lines.append(widget_cookie(app, email, site_id))
    path.write_text("\n".join(lines) + "\n")


def widget_cookie(app: Flask, email: str, site_id: int) -> str:
    """The widget's session cookie of the reader with this address, signed in to the
    widget of site_id as the sign-in popup does, as NAME=VALUE."""
    client = app.test_client()
    with app.app_context():
        signed_in = db.session.scalar(db.select(Reader).filter_by(email=email))
        assert signed_in is not None
        code = widget_sign_in.create_embed_code(signed_in, site_id)
    exchange = client.post(
        "/embed/bench/session", data={"code": code}, headers={"Origin": "http://127.0.0.1:8000"}
    )
    assert exchange.status_code == 200, exchange.text
    # The cookie as a browser holds it after the widget's first page: that page added
    # the session's CSRF token, so later pages leave the cookie as it is.
    first = client.get(f"/embed/bench/t/big?url={ORIGIN}/big&origin={ORIGIN}")
    assert first.status_code == 200, first.status_code
    embed = client.get_cookie("commentsvc_embed", path="/embed")
    assert embed is not None
    return f"{embed.key}={embed.value}"


def main() -> None:
    url, out = sys.argv[1], Path(sys.argv[2])
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": url,
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
        site_id = site.id
        # Every moderation rule on, as a busy news site runs them: new readers held
        # until their first approved comment, word lists, a link limit, trust.
        site.moderation_policy = ModerationPolicy.HOLD_FIRST_N
        site.hold_first_n = 1
        site.max_links = 2
        site.trust_after = 3
        site.report_threshold = 3
        site.suspicious_words = [f"{w}{n}" for n in range(20) for w in SUSPICIOUS]
        site.banned_words = [f"{w}{n}" for n in range(10) for w in BANNED]
        hashed = passwords.hash_password(PASSWORD)
        readers = []
        for i in range(50):
            name = f"Reader {i}"
            reader = Reader(
                email=f"r{i}@example.org",
                display_name=name,
                display_name_key=display_name_key(name),
                password_hash=hashed,
                email_verified_at=utcnow(),
                is_admin=i == 0,
            )
            db.session.add(reader)
            db.session.flush()
            readers.append(reader.id)
        db.session.add(TotpFactor(reader_id=readers[0], secret=TOTP_SECRET, confirmed_at=utcnow()))
        # A reader who has not taken part in any thread (most readers of most articles).
        db.session.add(
            Reader(
                email=QUIET,
                display_name="Quiet Reader",
                display_name_key=display_name_key("Quiet Reader"),
                password_hash=hashed,
                email_verified_at=utcnow(),
            )
        )
        add_thread("big", 200, readers, rng, site.id)
        for n in range(1000):
            add_thread(f"a{n}", 10, readers, rng, site.id, pending=1 if n < 200 else 0)
        db.session.commit()

    write_session(app, site_id, out / "session.txt")
    with app.app_context():
        # Planner statistics, as a live database has them: a run that starts right after
        # the seeding would otherwise be planned for empty tables until autovacuum
        # analyzes them, partway through the run.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print("seeded: 1 thread of 200 comments, 1000 threads of 10, 200 pending comments")


if __name__ == "__main__":
    main()
