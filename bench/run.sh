#!/usr/bin/env bash
# Benchmark: gunicorn as shipped (gunicorn.conf.py) on loopback, measured with wrk.
#   bash bench/run.sh            # SQLite (default)
#   BENCH_DATABASE_URL=postgresql+psycopg://… bash bench/run.sh
#   BENCH_GUNICORN_ARGS="-k gthread --threads 4" bash bench/run.sh   # other worker settings
#   BENCH_SCALE=on bash bench/run.sh   # then bench/scale.sh too: the same reads and writes
#                                      # on a 20,200- and a 1,000,000-comment database
# Scenarios: anonymous readers (widget page, the same page revalidated with its ETag and
# answered 304, the widget's "anything new?" poll of an unchanged thread, answered 304,
# JSON list, counts), a signed-in reader's first-party page and widget
# page of the same thread (and the widget page of a reader with no comment or vote in
# it), a moderator's queue, posting (with the rate limits off, and on as in production),
# and the widget page while one request in fifty posts to that thread, for anonymous and
# for signed-in readers.
# bench/render.py times the same pages in-process (and the re-render after a post).
# Needs wrk (apt-get install wrk). Prints req/s, p50, p99 per scenario and the
# peak RSS of the gunicorn processes; full wrk output goes to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-8000}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
DURATION="${BENCH_DURATION:-10s}"
OUT=bench/results
mkdir -p "$OUT"
DB_URL="${BENCH_DATABASE_URL:-sqlite:///$PWD/$OUT/bench.sqlite3}"
rm -f "$OUT"/bench.sqlite3*

export COMMENTSVC_SECRET_KEY=bench-secret COMMENTSVC_DATABASE_URL="$DB_URL" \
  COMMENTSVC_PUBLIC_URL="http://127.0.0.1:$PORT" COMMENTSVC_RATELIMIT_ENABLED=false \
  BENCH_SESSION_FILE="$PWD/$OUT/session.txt"
.venv/bin/python bench/seed.py "$DB_URL" "$OUT"

.venv/bin/gunicorn ${BENCH_GUNICORN_ARGS:-} -b "127.0.0.1:$PORT" --daemon --pid "$OUT/gunicorn.pid" \
  --log-file "$OUT/gunicorn.log" wsgi:app
trap 'kill "$(cat "$OUT/gunicorn.pid")" "$(cat "$OUT/hello.pid" 2>/dev/null)" "$(cat "$OUT/limited.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

peak_rss() {  # highest resident set size, in MiB, of the master and its workers
  local master; master="$(cat "$OUT/gunicorn.pid")"
  local total=0
  for pid in "$master" $(pgrep -P "$master"); do
    kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + kb))
  done
  echo "$((total / 1024)) MiB (sum of VmHWM of master and workers)"
}

base="http://127.0.0.1:$PORT"
frame="$base/embed/bench/t/big?url=http://127.0.0.1:8001/big&origin=http://127.0.0.1:8001"
keys="$(for i in $(seq 0 9); do printf 'thread=a%d&' "$i"; done)"
run() {
  local name="$1"; shift
  curl -sf -o /dev/null "${@: -1}" || true
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$OUT/$name.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$OUT/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/$name.txt")
  local errors; errors=$(grep -E "Non-2xx|Socket errors|^304 answers" "$OUT/$name.txt" | tr '\n' ' ' || true)
  printf '%-28s %10s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
}
# Every gunicorn here reads gunicorn.conf.py (it is in the working directory), the
# hello-world reference's too: as shipped, with this many workers.
workers="$(.venv/bin/python -c 'import runpy; print(runpy.run_path("gunicorn.conf.py")["workers"])')"
echo "gunicorn as shipped (${workers} workers) ${BENCH_GUNICORN_ARGS:-}, wrk -t2 -c$CONNECTIONS -d$DURATION, database: ${DB_URL%%:*}"
# The same server and load on a hello-world Flask app: how fast this machine is right now.
.venv/bin/gunicorn ${BENCH_GUNICORN_ARGS:-} -b "127.0.0.1:$((PORT + 1))" --daemon \
  --pid "$PWD/$OUT/hello.pid" --chdir "$PWD/bench" hello:app
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + 1))/" >/dev/null && break; sleep 0.1; done
run hello-world-reference "http://127.0.0.1:$((PORT + 1))/"
run iframe-200-comments "$frame"
run iframe-304-revalidated -s bench/conditional.lua "$frame"
# The widget's poll (static/widget.js, every 25 s per open tab; sent without cookies,
# so signed-in readers' polls are answered here too).
run poll-304-unchanged -s bench/conditional.lua "$base/embed/bench/changes/big?seen=200&lang=en"
run json-200-comments "$base/api/v1/sites/bench/threads/big/comments"
run counts-10-threads "$base/api/v1/sites/bench/counts?${keys%&}"
cookie="$(head -n1 "$OUT/session.txt")"
embed_cookie="$(sed -n 3p "$OUT/session.txt")"
run signed-in-page-200 -H "Cookie: $cookie" "$base/threads/bench/t/big"
# A signed-in reader with no comment or vote on the page (most readers of most articles);
# before the reader with a stake, as on a real thread, where such readers have kept
# everyone's page, which the reader with a stake takes all but their own subtrees from.
quiet_cookie="$(sed -n 4p "$OUT/session.txt")"
run signed-in-widget-no-stake -H "Cookie: $quiet_cookie" "$frame"
run signed-in-widget-200 -H "Cookie: $embed_cookie" "$frame"
run moderator-queue -H "Cookie: $cookie" "$base/moderation/"
run post-comment -s bench/post.lua "$base/api/v1/sites/bench/threads/a1/comments"
run read-while-posting -s bench/read_while_posting.lua "$frame"
run signed-in-while-posting -s bench/signed_in_while_posting.lua "$frame"
echo "peak RSS: $(peak_rss)"
# Posting as in production, with the rate limits on (in memory, set too high to refuse
# anything): the per-reader limit loads the reader before the view reads the thread.
# Per second: a moving window keeps each hit of its window, and a window of a minute at
# this rate would keep thousands where a real limit (60 a minute) keeps 60.
COMMENTSVC_RATELIMIT_ENABLED=true COMMENTSVC_RATELIMIT_POST_READER="1000000 per second" \
  COMMENTSVC_RATELIMIT_POST_IP="1000000 per second" \
  .venv/bin/gunicorn ${BENCH_GUNICORN_ARGS:-} -b "127.0.0.1:$((PORT + 2))" --daemon \
  --pid "$OUT/limited.pid" --log-file "$OUT/gunicorn-limited.log" wsgi:app
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + 2))/healthz" >/dev/null && break; sleep 0.1; done
run post-comment-rate-limited -s bench/post.lua \
  "http://127.0.0.1:$((PORT + 2))/api/v1/sites/bench/threads/a1/comments"
kill "$(cat "$OUT/limited.pid")" && rm "$OUT/limited.pid"
# Once more at the end: a shared machine's speed drifts within a run, and a reference far
# from the first says the figures between them are not to be compared with other runs.
run hello-world-reference-end "http://127.0.0.1:$((PORT + 1))/"
kill "$(cat "$OUT/hello.pid")" && rm "$OUT/hello.pid"
if [ "${BENCH_SCALE:-off}" = on ]; then
  kill "$(cat "$OUT/gunicorn.pid")" 2>/dev/null || true
  BENCH_PORT=$((PORT + 10)) bash bench/scale.sh
fi
