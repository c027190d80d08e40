"""Speed and peak memory of `flask import disqus` on a large generated Disqus export.

Usage:
    python bench/import_disqus.py [COMMENTS] [DATABASE_URL]

COMMENTS defaults to 500,000; DATABASE_URL to a new SQLite file under /tmp (for
PostgreSQL, give an empty database kept for benchmarks). Writes the
export to /tmp/bench-disqus-COMMENTS.xml (kept between runs), registers site "bench",
then runs the import, then runs it again (everything already imported), each in a
process of its own, and prints comments per second and the peak resident memory of
each process. For scale, it also prints the peak memory of a command that only starts
the app (registering the site).

The file: one thread per 20 comments, 30 % replies (to a comment earlier in the same
thread, a few to one later in the file), 50,000 authors, bodies of about 300 characters
of HTML with a link and emphasis, 1 % spam, 1 % deleted.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "commentsvc"]
WORDS = [
    *[
        "budget",
        "tax",
        "metro",
        "line",
        "bridge",
        "city",
        "council",
        "vote",
        "market",
        "price",
        "school",
        "water",
        "road",
    ],
    *[
        "park",
        "river",
        "festival",
        "report",
        "minister",
        "plan",
        "oil",
        "gas",
        "railway",
        "election",
        "museum",
    ],
    *["Bak\u0131", "G\u0259nc\u0259", "\u0421\u0443\u043c\u0433\u0430\u0438\u0442"],
]


def generate(path: Path, comments: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    per_thread = 20
    threads = max(1, comments // per_thread)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        for t in range(threads):
            out.write(
                f'<thread dsq:id="{t + 1}"><id>article-{t + 1}</id><forum>bench</forum>'
                f"<link>https://news.example/articles/{t + 1}</link>"
                f"<title><![CDATA[Article {t + 1}: {' '.join(rng.sample(WORDS, 4))}]]></title>"
                "<createdAt>2020-01-01T00:00:00Z</createdAt>"
                "<isClosed>false</isClosed><isDeleted>false</isDeleted></thread>\n"
            )
        for n in range(comments):
            post_id = 1_000_000 + n
            thread = n // per_thread + 1
            first_in_thread = 1_000_000 + (thread - 1) * per_thread
            parent = ""
            if n > first_in_thread - 1_000_000 and rng.random() < 0.3:
                earlier = rng.randrange(first_in_thread, post_id)
                parent = f'<parent dsq:id="{earlier}" />'
            elif rng.random() < 0.002 and n + 1 < comments:
                later = post_id + 1 if (n + 1) // per_thread + 1 == thread else None
                if later is not None:
                    parent = f'<parent dsq:id="{later}" />'
            author = rng.randrange(50_000)
            words = " ".join(rng.choice(WORDS) for _ in range(40))
            body = (
                f"<p>{words[:120]} <b>{rng.choice(WORDS)}</b> {words[120:]}</p>"
                f'<p>See <a href="https://example.org/{n}">the source</a>.</p>'
            )
            spam = "true" if rng.random() < 0.01 else "false"
            deleted = "true" if rng.random() < 0.01 else "false"
            out.write(
                f'<post dsq:id="{post_id}"><id/><message><![CDATA[{body}]]></message>'
                f"<createdAt>2020-01-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z</createdAt>"
                f"<isDeleted>{deleted}</isDeleted><isSpam>{spam}</isSpam>"
                f"<author><email>reader{author}@mail.example</email>"
                f"<name>Reader {author}</name><isAnonymous>false</isAnonymous>"
                f"<username>reader{author}</username></author>"
                f'<thread dsq:id="{thread}" />{parent}</post>\n'
            )
        out.write("</disqus>\n")


# Runs a command as its own child and reports that child's peak memory alone.
_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print('peak-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak resident MB of the command, its output)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    peak_kb = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak-kb")
    )
    return seconds, peak_kb / 1024, done.stdout + done.stderr


def main() -> None:
    comments = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    url = sys.argv[2] if len(sys.argv) > 2 else "sqlite:////tmp/bench-import.sqlite3"
    path = Path(f"/tmp/bench-disqus-{comments}.xml")
    if not path.exists():
        print(f"writing {path} …", flush=True)
        generate(path, comments)
    print(f"{path}: {path.stat().st_size / 1e6:,.0f} MB, {comments:,} comments")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    env = {
        **os.environ,
        "COMMENTSVC_DATABASE_URL": url,
        "COMMENTSVC_SECRET_KEY": "bench-" + "x" * 40,
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([*FLASK, "db", "upgrade"], env=env, check=True, capture_output=True)
    _, base_mb, _ = measured(
        [*FLASK, "sites", "create", "bench", "--name", "Bench", "--origin", "https://news.example"],
        env,
    )
    print(f"app start-up alone: peak {base_mb:,.0f} MB")
    for label in ("first run", "second run (all imported before)"):
        seconds, peak_mb, output = measured(
            [*FLASK, "import", "disqus", str(path), "--site", "bench"], env
        )
        rate = comments / seconds
        print(f"{label}: {seconds:,.1f} s, {rate:,.0f} comments/s, peak {peak_mb:,.0f} MB")
        print("  " + "\n  ".join(line for line in output.splitlines() if line.startswith("  ")))


if __name__ == "__main__":
    main()
