#!/usr/bin/env bash
# Start Debian's PostgreSQL cluster and make a UTF-8 test database for commentsvc.
# Prints DATABASE_URL=... on stdout. Idempotent; run as root.
set -euo pipefail
export LANG=C.UTF-8 LC_ALL=C.UTF-8
cd /   # the postgres user cannot enter root's work folders

version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
  # Without an explicit UTF-8 locale the cluster would be SQL_ASCII.
  pg_createcluster --locale C.UTF-8 --encoding UTF8 "$version" main >&2
fi
# Only the URL goes to stdout: pg_ctlcluster may report, e.g., "Removed stale pid file."
pg_ctlcluster "$version" main status >/dev/null 2>&1 || pg_ctlcluster "$version" main start >&2
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
for _ in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.1; done

runuser -u postgres -- psql -p "$port" -X -q -o /dev/null -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'CREATE ROLE commentsvc LOGIN PASSWORD ''commentsvc'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'commentsvc') \gexec
SELECT 'CREATE DATABASE commentsvc_test OWNER commentsvc ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'commentsvc_test') \gexec
ALTER SYSTEM SET fsync = off;
ALTER SYSTEM SET synchronous_commit = off;
SELECT pg_reload_conf();
SQL
echo "DATABASE_URL=postgresql+psycopg://commentsvc:commentsvc@127.0.0.1:$port/commentsvc_test"
