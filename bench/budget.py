"""Weigh and time the demo article's first view in Chromium.

Usage:
    .venv/bin/python -m bench.budget          # 5 first views, median time
    BENCH_RUNS=10 .venv/bin/python -m bench.budget

Serves the service (SQLite in a temporary file, production settings) on
http://localhost:5190 and the demo news site on http://127.0.0.1:8191, seeds the
article's thread with 60 comments, then opens the article in a fresh Chromium
profile each run (nothing cached) and records every response from the service.
Sizes are gzip level 6 of each body: what the nginx example in deploy/ sends.

Budgets (the README lists them):
- first view of the article from the service (widget, count, consent banner) <= 30 KB;
- embed.js <= 3 KB;
- the widget's own JS and CSS (what the frame loads from /static/) <= 12 KB;
- first comments painted <= 300 ms after the frame starts loading (the frame's first
  contentful paint: its comments are in the HTML, so they paint with it).
Prints a table and writes bench/results/budget.txt; exits 1 when a budget is exceeded.
"""

from __future__ import annotations

import gzip
import logging
import os
import statistics
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response, sync_playwright
from werkzeug.serving import make_server

from bench.seed import body
from commentsvc import create_app
from commentsvc.accounts.identity import display_name_key
from commentsvc.accounts.models import Reader
from commentsvc.comments import sites, threads
from commentsvc.comments.models import Comment, CommentStatus
from commentsvc.core.extensions import db, utcnow
from commentsvc.core.sanitize import render_comment
from commentsvc.demo import ARTICLES, create_demo_app

SERVICE = "http://localhost:5190"
NEWS = "http://127.0.0.1:8191"
ARTICLE = "blinken-azerbaijan"
CHROMIUM = "/usr/bin/chromium"
KB = 1024
BUDGETS = {"first view": 30 * KB, "embed.js": 3 * KB, "widget JS + CSS": 12 * KB}
FIRST_PAINT_MS = 300


@dataclass
class View:
    sizes: dict[str, int] = field(default_factory=dict)  # path -> gzipped bytes
    frame_paint_ms: float = 0.0


def seed(app_url: str, news_url: str, comments: int = 60) -> tuple[object, object]:
    import random

    app = create_app(
        {
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/budget.sqlite3",
            "PUBLIC_URL": app_url,
            "RATELIMIT_ENABLED": False,
        }
    )
    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        site = sites.create_site("demo", "Demo News", [news_url])
        names = ["Aysel Quliyeva", "Rauf Məmmədov", "Olga Ivanova", "Kemal Aydın", "Sam Doe"]  # noqa: RUF001
        authors = []
        for n, name in enumerate(names):
            reader = Reader(
                email=f"r{n}@example.org",
                display_name=name,
                display_name_key=display_name_key(name),
                password_hash="x",
            )
            db.session.add(reader)
            db.session.flush()
            authors.append(reader.id)
        title = str(ARTICLES[ARTICLE]["title"])
        thread = threads.create_thread(site, ARTICLE, title, f"{news_url}/articles/{ARTICLE}")
        for i in range(comments):
            source = body(rng)
            db.session.add(
                Comment(
                    thread_id=thread.id,
                    depth=0,
                    author_id=authors[i % len(authors)],
                    body_source=source,
                    body_html=render_comment(source),
                    status=CommentStatus.APPROVED,
                    created_at=utcnow(),
                )
            )
        thread.comment_count = comments
        db.session.commit()
    return app, create_demo_app(app_url)


def serve(app: object, url: str) -> None:
    parts = urlsplit(url)
    server = make_server(parts.hostname or "", parts.port or 80, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()


def first_view(playwright: object) -> View:
    view = View()
    browser = playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=["--no-sandbox"]
    )
    page = browser.new_page(viewport={"width": 1280, "height": 2000})

    def record(response: Response) -> None:
        if response.url.startswith(SERVICE):
            try:
                raw = response.body()
            except PlaywrightError:  # a redirect or an aborted request has no body
                return
            path = urlsplit(response.url).path
            view.sizes[path] = view.sizes.get(path, 0) + len(gzip.compress(raw, 6))

    page.on("response", record)
    page.goto(f"{NEWS}/articles/{ARTICLE}")
    frame = page.frame_locator("#comments iframe")
    frame.locator("li.comment").first.wait_for()
    page.locator("[data-commentsvc-count]").filter(has_text="60").wait_for()
    page.wait_for_load_state("networkidle")
    widget = next(f for f in page.frames if f.url.startswith(f"{SERVICE}/embed/"))
    view.frame_paint_ms = float(
        widget.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
            " || -1"
        )
    )
    browser.close()
    return view


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    app, demo = seed(SERVICE, NEWS)
    serve(app, SERVICE)
    serve(demo, NEWS)
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    with sync_playwright() as playwright:
        first_view(playwright)  # warm the service's templates and caches
        views = [first_view(playwright) for _ in range(runs)]
    last = views[-1]
    widget_own = sum(size for path, size in last.sizes.items() if path.startswith("/static/"))
    totals = {
        "first view": sum(last.sizes.values()),
        "embed.js": last.sizes.get("/embed.js", 0),
        "widget JS + CSS": widget_own,
    }
    paint = statistics.median(v.frame_paint_ms for v in views)
    lines = [f"{'response from the service':<60} {'gzip bytes':>10}"]
    lines += [f"{path[:60]:<60} {size:>10}" for path, size in sorted(last.sizes.items())]
    lines.append("")
    over = False
    for name, total in totals.items():
        ok = total <= BUDGETS[name]
        over |= not ok
        verdict = "ok" if ok else "OVER"
        budget = BUDGETS[name] / KB
        lines.append(f"{name:<24} {total / KB:6.1f} KB  budget {budget:4.0f} KB  {verdict}")
    ok = 0 <= paint <= FIRST_PAINT_MS
    over |= not ok
    lines.append(
        f"{'first comments painted':<24} {paint:6.0f} ms  budget {FIRST_PAINT_MS} ms  "
        f"{'ok' if ok else 'OVER'}  (median of {runs}: "
        + ", ".join(f"{v.frame_paint_ms:.0f}" for v in views)
        + ")"
    )
    report = "\n".join(lines)
    print(report)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "budget.txt").write_text(report + "\n")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
