"""In-process render timings of the 200-comment bench thread for a signed-in reader.

Usage:
    python bench/seed.py sqlite:////tmp/bench.sqlite3 /tmp       # once (bench/run.sh does too)
    python bench/render.py sqlite:////tmp/bench.sqlite3 [--profile widget|page|after-post]

Runs the app in this process (no server) and requests through Flask's test client as
reader r0 of bench/seed.py, signed in both first-party and in the widget:
  widget      the widget page (/embed/...) of the thread, rendered again and again;
  page        its first-party twin (/threads/...);
  after-post  one new top-level comment is posted by another reader (through the
              service), then the widget page is requested once: the re-render a busy
              thread costs (goal: <= 5 ms for the 200-comment first page).
Prints the median and 90th percentile per scenario in milliseconds; --profile NAME
prints a cProfile of that scenario instead (sorted by cumulative time, or by the
pstats key given after the name, e.g. tottime). The posted
comments stay in the database: seed again for comparable runs.
"""

from __future__ import annotations

import cProfile
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's package

from commentsvc import create_app
from commentsvc.accounts import widget_sign_in
from commentsvc.accounts.models import Reader, TotpFactor
from commentsvc.comments import posting, sites, threads
from commentsvc.core.extensions import db
from commentsvc.moderation import rules

ORIGIN = "http://127.0.0.1:8001"
WIDGET = f"/embed/bench/t/big?url={ORIGIN}/big&origin={ORIGIN}"
PAGE = "/threads/bench/t/big"
PASSWORD = "benchmark passphrase of some length"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in(app: Flask) -> FlaskClient:
    """A browser signed in as r0 on the service's own pages and in the bench widget."""
    client = app.test_client()
    token = CSRF.search(client.get("/auth/sign-in").text)
    assert token is not None
    data = {"email": "r0@example.org", "password": PASSWORD, "csrf_token": token.group(1)}
    answer = client.post("/auth/sign-in", data=data)
    assert answer.status_code in (302, 303), answer.status_code
    with app.app_context():
        reader = db.session.scalar(db.select(Reader).filter_by(email="r0@example.org"))
        site = sites.get_site("bench")
        assert reader is not None
        assert site is not None
        code = widget_sign_in.create_embed_code(reader, site.id)
        factor = db.session.get(TotpFactor, reader.id)
    if answer.headers.get("Location") == "/auth/two-step":
        # r0 is an admin: the second step, with the app's code (bench/seed.py). A code
        # is taken once, so the next step's code serves a run right after the seeding.
        assert factor is not None
        token = CSRF.search(client.get("/auth/two-step").text)
        assert token is not None
        for ahead in (0, 30, 60):
            step = pyotp.TOTP(factor.secret).at(time.time() + ahead)
            answer = client.post("/auth/two-step", data={"code": step, "csrf_token": token[1]})
            if answer.status_code == 303:
                break
        assert answer.status_code == 303, "the second step refused every code"
    assert client.get("/account").status_code == 200, "not signed in on the service's pages"
    own = {"Origin": app.config["PUBLIC_URL"]}
    answer = client.post("/embed/bench/session", data={"code": code}, headers=own)
    assert answer.status_code == 200, answer.text
    return client


def post_one(app: Flask, n: int) -> None:
    """Another reader's new top-level comment, through the posting service."""
    with app.app_context():
        reader = db.session.scalar(db.select(Reader).filter_by(email="r1@example.org"))
        found = threads.find_existing_thread("bench", "big")
        assert reader is not None
        assert found is not None
        site, thread = found
        signals = rules.form_signals("", None)
        posting.post_comment(reader, thread, site, f"A new comment, number {n}.", None, signals)


def timed(
    get: Callable[[], object], runs: int, before: Callable[[int], None] | None
) -> list[float]:
    times = []
    for n in range(runs):
        if before is not None:
            before(n)
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    url = sys.argv[1]
    profile = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--profile" else None
    app = create_app(
        {
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": url,
            "PUBLIC_URL": "http://127.0.0.1:8000",
            "RATELIMIT_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
        }
    )
    client = signed_in(app)

    def get(path: str) -> Callable[[], object]:
        def request() -> object:
            answer = client.get(path)
            assert answer.status_code == 200, answer.status_code
            return answer

        return request

    scenarios: dict[str, tuple[Callable[[], object], Callable[[int], None] | None]] = {
        "widget": (get(WIDGET), None),
        "page": (get(PAGE), None),
        "after-post": (get(WIDGET), lambda n: post_one(app, n)),
    }
    for name, (request, before) in scenarios.items():
        request()  # warm up: templates compiled, fragments kept
        if name == profile:
            profiler = cProfile.Profile()
            profiler.enable()
            timed(request, 20, before)
            profiler.disable()
            order = sys.argv[4] if len(sys.argv) > 4 else "cumulative"
            pstats.Stats(profiler).sort_stats(order).print_stats(40)
            return
    if profile:
        raise SystemExit(f"unknown scenario {profile}")
    for name, (request, before) in scenarios.items():
        times = timed(request, 100 if before is None else 30, before)
        size = len(client.get(WIDGET if name != "page" else PAGE).data)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(
            f"{name:12} median {statistics.median(times):7.2f} ms   p90 {p90:7.2f} ms"
            f"   {size / 1024:6.1f} KiB"
        )


if __name__ == "__main__":
    main()
