#!/usr/bin/env bash
# Scale benchmark: the same reads and writes on a small and on a large database.
#   bash bench/scale.sh                       # SQLite files under bench/results/
#   BENCH_DATABASE_URL=postgresql+psycopg://… bash bench/scale.sh   # emptied and refilled!
#   BENCH_SIZES="large" bash bench/scale.sh   # one size only
# Sizes (bench/generate.py): small = 20,200 comments (the 200-comment thread "big", the
# 10,000-comment thread "huge", 10,000 over 1,000 threads); large = 1,000,000 comments
# over 100,000 threads with the same two threads in it.
# Scenarios per size, gunicorn as shipped (gunicorn.conf.py), wrk -c16:
#   hot-thread             anonymous widget page of "big" (page cache after the first)
#   huge-first-page        anonymous widget page of "huge"
#   huge-first-page-signed a signed-in reader's widget page of "huge" (rendered each time)
#   counts-10              comment counts of 10 random threads per request
#   post                   a signed-in reader posting to random threads
# Prints req/s, p50 and p99 next to a hello-world Flask app measured in the same run, and
# the large/small ratio of each; full wrk output goes to bench/results/scale-*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${BENCH_PORT:-8010}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
DURATION="${BENCH_DURATION:-10s}"
SIZES="${BENCH_SIZES:-small large}"
OUT=bench/results
mkdir -p "$OUT"
export COMMENTSVC_SECRET_KEY=bench-secret COMMENTSVC_PUBLIC_URL="http://127.0.0.1:$PORT" \
  COMMENTSVC_RATELIMIT_ENABLED=false BENCH_SESSION_FILE="$PWD/$OUT/scale-session.txt"

stop() { [ -f "$OUT/scale.pid" ] && kill "$(cat "$OUT/scale.pid")" 2>/dev/null; rm -f "$OUT/scale.pid"; }
trap stop EXIT

measure() {  # name, wrk arguments…: prints "req/s p50 p99"
  local name="$1"; shift
  curl -sf -o /dev/null "${@: -1}" || true
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$OUT/scale-$name.txt"
  printf '%s %s %s' "$(awk '/Requests\/sec/ {print $2}' "$OUT/scale-$name.txt")" \
    "$(awk '$1 == "50%" {print $2}' "$OUT/scale-$name.txt")" \
    "$(awk '$1 == "99%" {print $2}' "$OUT/scale-$name.txt")"
}

.venv/bin/gunicorn -b "127.0.0.1:$((PORT + 1))" --daemon --pid "$PWD/$OUT/hello.pid" \
  --chdir "$PWD/bench" hello:app
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + 1))/" >/dev/null && break; sleep 0.1; done
read -r hello _ _ <<<"$(measure hello-world "http://127.0.0.1:$((PORT + 1))/")"
kill "$(cat "$OUT/hello.pid")" && rm "$OUT/hello.pid"
echo "hello-world reference: $hello req/s (gunicorn as shipped, wrk -t2 -c$CONNECTIONS -d$DURATION)"

declare -A result
for size in $SIZES; do
  if [ "$size" = small ]; then args=(--comments 20200 --threads 1000); else args=(); fi
  url="${BENCH_DATABASE_URL:-sqlite:///$PWD/$OUT/scale-$size.sqlite3}"
  [ -z "${BENCH_DATABASE_URL:-}" ] && rm -f "$OUT/scale-$size.sqlite3"*
  .venv/bin/python -m bench.generate "$url" "${args[@]}" --session "$BENCH_SESSION_FILE"
  COMMENTSVC_DATABASE_URL="$url" .venv/bin/gunicorn -c gunicorn.conf.py \
    -b "127.0.0.1:$PORT" --daemon --pid "$PWD/$OUT/scale.pid" wsgi:app
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  base="http://127.0.0.1:$PORT"
  embed="$base/embed/bench/t"
  query="url=http://127.0.0.1:8001/x&origin=http://127.0.0.1:8001"
  cookie="$(head -n1 "$BENCH_SESSION_FILE")"
  threads=$([ "$size" = small ] && echo 1000 || echo 100000)
  result[$size,hot-thread]="$(measure "$size-hot" "$embed/big?$query")"
  result[$size,huge-first-page]="$(measure "$size-huge" "$embed/huge?$query")"
  result[$size,huge-first-page-signed]="$(measure "$size-huge-signed" -H "Cookie: $cookie" "$embed/huge?$query")"
  result[$size,counts-10]="$(BENCH_THREADS=$threads measure "$size-counts" -s bench/scale_counts.lua "$base/api/v1/sites/bench/counts")"
  result[$size,post]="$(BENCH_THREADS=$threads measure "$size-post" -s bench/scale_post.lua "$base/api/v1/sites/bench/threads/t0/comments")"
  stop
done

printf '\n%-24s' scenario
for size in $SIZES; do printf '%28s' "$size: req/s (p50, p99)"; done
printf '%12s\n' "large/small"
for scenario in hot-thread huge-first-page huge-first-page-signed counts-10 post; do
  printf '%-24s' "$scenario"
  for size in $SIZES; do
    read -r rps p50 p99 <<<"${result[$size,$scenario]}"
    printf '%28s' "$rps ($p50, $p99)"
  done
  if [[ "$SIZES" == *small*large* ]]; then
    read -r small _ _ <<<"${result[small,$scenario]}"
    read -r large _ _ <<<"${result[large,$scenario]}"
    printf '%12s' "$(awk -v a="$large" -v b="$small" 'BEGIN {printf "%.2f", a / b}')"
  fi
  echo
done
