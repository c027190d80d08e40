#!/usr/bin/env bash
# Start a throw-away Redis on 127.0.0.1:6379 (no persistence). Prints REDIS_URL=...
set -euo pipefail
dir=/tmp/commentsvc-redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" </dev/null
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
  done
fi
redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG
echo "REDIS_URL=redis://127.0.0.1:6379/0"
