"""Load and fault run: readers and writers against two instances while PostgreSQL restarts.

Usage:
    .venv/bin/python -m bench.load_fault                      # 60 s, 50 readers, 5 writers
    .venv/bin/python -m bench.load_fault --seconds 10         # the short form CI runs

Loopback only, and it stops by itself. It starts a private PostgreSQL cluster in a
temporary folder (tests/servers.py: as root it runs as the postgres user), two gunicorn
instances with the shipped gunicorn.conf.py (two workers each) on that database, then for
--seconds: --readers threads read the widget page and the JSON list of random threads,
alternating between the instances, and --writers signed-in readers post comments through
the JSON API. Halfway, PostgreSQL is stopped at once (as a crash would) and started again.

Afterwards it checks that every comment acknowledged with 201 is stored and listed by the
API, and that no request failed with a 5xx outside the restart window (the outage itself
answers 503 by design). It prints req/s, p50/p99 and the errors per kind of request and
exits 1 when a check fails. Rate limits are off: this measures the service, not its brakes.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from commentsvc import create_app
from commentsvc.comments import sites, threads
from commentsvc.core.extensions import db
from tests.factories import PASSWORD, make_reader
from tests.servers import PrivatePostgres, free_port, gunicorn

THREADS = 20
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ORIGIN = "http://127.0.0.1:8001"


@dataclass
class Outcome:
    """Every request's (start time, kind, status, seconds); status 0: no answer."""

    samples: list[tuple[float, str, int, float]] = field(default_factory=list)
    acknowledged: list[tuple[str, int, str]] = field(default_factory=list)  # thread, id, text
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, started: float, status: int) -> None:
        with self.lock:
            self.samples.append((started, kind, status, time.monotonic() - started))


def config(database_url: str, tmp: Path) -> dict[str, Any]:
    return {
        "SECRET_KEY": "load-and-fault-secret",
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "http://127.0.0.1:8000",
        "RATELIMIT_ENABLED": False,
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": free_port(),  # nothing listens: mail waits in the outbox
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "DATABASE_CONNECT_TIMEOUT": 2,
    }


def seed(settings: dict[str, Any], writers: int) -> None:
    app = create_app({**settings, "TESTING": True})
    with app.app_context():
        db.create_all()
        site = sites.create_site("load", "Load News", [ORIGIN])
        for n in range(THREADS):
            threads.create_thread(site, f"t{n}", f"Article {n}", f"{ORIGIN}/t{n}")
        db.session.remove()
    for n in range(writers):
        make_reader(app, email=f"w{n}@example.org", display_name=f"Writer {n}")
    with app.app_context():
        db.engine.dispose()


def signed_in(base: str, email: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    form = CSRF.search(browser.get(base + "/auth/sign-in", timeout=10).text)
    assert form, "no sign-in form"
    data = {"email": email, "password": PASSWORD, "csrf_token": form[1]}
    assert browser.post(base + "/auth/sign-in", data=data, timeout=10).ok
    token = CSRF.search(browser.get(base + "/account", timeout=10).text)
    assert token, f"{email} could not sign in"
    return browser, token[1]


def reader(bases: list[str], outcome: Outcome, stop: threading.Event, seed_: int) -> None:
    rng = random.Random(seed_)
    session = requests.Session()
    while not stop.is_set():
        base = rng.choice(bases)
        key = f"t{rng.randrange(THREADS)}"
        if rng.random() < 0.5:
            kind, url = "read-widget", f"{base}/embed/load/t/{key}?url={ORIGIN}/{key}"
        else:
            kind, url = "read-json", f"{base}/api/v1/sites/load/threads/{key}/comments"
        started = time.monotonic()
        try:
            status = session.get(url, timeout=10).status_code
        except requests.RequestException:
            status = 0
        outcome.add(kind, started, status)


def writer(
    bases: list[str], email: str, outcome: Outcome, stop: threading.Event, seed_: int
) -> None:
    rng = random.Random(seed_)
    browser, token = signed_in(bases[seed_ % len(bases)], email)
    n = 0
    while not stop.is_set():
        n += 1
        key = f"t{rng.randrange(THREADS)}"
        text = f"Load comment {seed_}-{n}: the talks will resume."
        url = f"{rng.choice(bases)}/api/v1/sites/load/threads/{key}/comments"
        started = time.monotonic()
        try:
            answer = browser.post(
                url, json={"body": text}, headers={"X-CSRFToken": token}, timeout=10
            )
            status = answer.status_code
        except requests.RequestException:
            status = 0
        outcome.add("post", started, status)
        if status == 201:
            with outcome.lock:
                outcome.acknowledged.append((key, int(answer.json()["id"]), text))


def listed(base: str, key: str) -> dict[int, str]:
    """Every comment the JSON API lists for the thread (all pages), by id."""
    found: dict[int, str] = {}
    url: str | None = f"{base}/api/v1/sites/load/threads/{key}/comments"
    while url:
        page = requests.get(url, timeout=10).json()
        for comment in page["comments"]:
            stack = [comment]
            while stack:
                c = stack.pop()
                found[int(c["id"])] = c.get("body_html", "")
                stack.extend(c.get("replies", []))
        after = page.get("next_cursor")
        url = f"{base}/api/v1/sites/load/threads/{key}/comments?after={after}" if after else None
    return found


def run(seconds: float, readers: int, writers: int) -> tuple[bool, str]:
    """The whole run; (passed, report)."""
    lines: list[str] = []
    with ExitStack() as stack:
        postgres = PrivatePostgres()
        stack.callback(postgres.close)
        settings = config(postgres.url, Path(tempfile.mkdtemp()))
        seed(settings, writers)
        ports = [free_port(), free_port()]
        for port in ports:
            stack.enter_context(gunicorn(settings, port, workers=2))
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        outcome, stop = Outcome(), threading.Event()
        workers = [
            threading.Thread(target=reader, args=(bases, outcome, stop, n)) for n in range(readers)
        ]
        workers += [
            threading.Thread(target=writer, args=(bases, f"w{n}@example.org", outcome, stop, n))
            for n in range(writers)
        ]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        time.sleep(seconds / 2)
        down = time.monotonic()
        postgres.stop()
        time.sleep(min(2.0, seconds / 10))
        postgres.start()
        up = time.monotonic()
        time.sleep(max(seconds - (up - started), 0))
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        elapsed = time.monotonic() - started
        # The restart window: requests in flight when it stopped (started up to a second
        # before), until a few seconds after the start (each worker's pool drops its
        # broken connections on its first error, then reconnects).
        window = (down - 1.0, up + 3.0)
        lines.append(
            f"{readers} readers, {writers} writers, {elapsed:.0f} s, two instances x 2 workers, "
            f"PostgreSQL down for {up - down:.1f} s at {down - started:.0f} s"
        )
        lines.append(
            f"{'kind':<12} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses"
        )
        for kind in ("read-widget", "read-json", "post"):
            mine = [s for s in outcome.samples if s[1] == kind]
            if not mine:
                continue
            times = sorted(s[3] for s in mine)
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            statuses = Counter(s[2] for s in mine)
            lines.append(
                f"{kind:<12} {len(mine):>9} {len(mine) / elapsed:>8.0f} "
                f"{statistics.median(times) * 1000:>8.1f} {p99 * 1000:>8.1f}  "
                + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
            )
        outside = [
            s
            for s in outcome.samples
            if (s[2] >= 500 or s[2] == 0) and not window[0] <= s[0] <= window[1]
        ]
        inside = [s for s in outcome.samples if s[2] >= 500 and window[0] <= s[0] <= window[1]]
        lines.append(f"5xx or no answer outside the restart window: {len(outside)}")
        lines += [
            f"  {kind} {status} at {at - started:.2f} s (window {window[0] - started:.2f}"
            f"-{window[1] - started:.2f} s)"
            for at, kind, status, _took in outside[:10]
        ]
        lines.append(f"503 during the restart window (expected): {len(inside)}")
        by_thread: dict[str, list[tuple[int, str]]] = {}
        for key, comment_id, text in outcome.acknowledged:
            by_thread.setdefault(key, []).append((comment_id, text))
        missing = []
        for key, posted in by_thread.items():
            shown = listed(bases[0], key)
            missing += [cid for cid, text in posted if text.split(":")[0] not in shown.get(cid, "")]
        acknowledged = len(outcome.acknowledged)
        lines.append(f"acknowledged comments: {acknowledged}, missing from the API: {len(missing)}")
        passed = not outside and not missing and bool(outcome.acknowledged)
        lines.append("PASS" if passed else "FAIL")
    return passed, "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=5)
    args = parser.parse_args()
    passed, report = run(args.seconds, args.readers, args.writers)
    print(report)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
