#!/usr/bin/env bash
# Everything the tests need, then lint, type checks and the whole suite (browser
# tests included) on SQLite; with COMMENTSVC_TEST_POSTGRES_URL set (CI sets it, and
# COMMENTSVC_TEST_REDIS_URL), the suite without the browser tests on SQLite, then the
# whole suite on PostgreSQL. The browser tests drive the same server code on either
# database and take half the time of a run, so they run once.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
bash scripts/install_test_tools.sh

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

run_suite() {
  local label="$1"; shift
  echo "== test suite on $label =="
  set +e
  env "$@" .venv/bin/python -m pytest -q "${PYTEST_ARGS[@]}"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
}

if [ -z "${COMMENTSVC_TEST_POSTGRES_URL:-}" ]; then
  PYTEST_ARGS=("$@")
  run_suite SQLite COMMENTSVC_TEST_DATABASE_URL=
  exit 0
fi
# A -m among the arguments comes later and wins over this one.
PYTEST_ARGS=(-m "not browser" "$@")
run_suite "SQLite (without the browser tests)" COMMENTSVC_TEST_DATABASE_URL=
PYTEST_ARGS=("$@")
run_suite PostgreSQL COMMENTSVC_TEST_DATABASE_URL="$COMMENTSVC_TEST_POSTGRES_URL"
