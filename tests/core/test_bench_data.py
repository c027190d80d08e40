"""The benchmark's data generator (bench/generate.py, which bench/scale.sh runs) in a
small size: every session the benchmarks read is written, and each one signs its reader
in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from commentsvc import create_app
from commentsvc.comments import threads
from commentsvc.core.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://127.0.0.1:8001"


def test_the_generator_writes_a_database_and_every_bench_session(tmp_path):
    url = f"sqlite:///{tmp_path / 'scale.sqlite3'}"
    session = tmp_path / "session.txt"
    command = [sys.executable, "-m", "bench.generate", url, "--comments", "400"]
    command += ["--threads", "10", "--hot", "100", "--readers", "20", "--session", str(session)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=120)

    cookie, token, widget, quiet = session.read_text().splitlines()
    assert token
    app = create_app(
        {"SECRET_KEY": "bench-secret", "DATABASE_URL": url, "PUBLIC_URL": "http://127.0.0.1:8000"}
    )
    with app.app_context():
        counts = threads.counts("bench", ["big", "huge", "t0"])
        db.engine.dispose()
    assert counts is not None
    assert counts.counts == {"big": 200, "huge": 100, "t0": 10}
    client = app.test_client(use_cookies=False)  # the benchmark's cookies, as wrk sends them
    account = client.get("/account", headers={"Cookie": cookie})
    assert account.status_code == 200, account.headers.get("Location")
    frame = f"/embed/bench/t/big?url={ORIGIN}/big&origin={ORIGIN}"
    for line, name in ((widget, "Reader 0"), (quiet, "Quiet Reader")):
        page = client.get(frame, headers={"Cookie": line})
        assert page.status_code == 200
        assert name in page.text
    with app.app_context():
        db.engine.dispose()
