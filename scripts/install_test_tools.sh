#!/usr/bin/env bash
# What the tests drive besides Python: Debian's Chromium (the browser tests, through
# Playwright; Playwright's own browser download is not used) and Debian's nginx (the
# caching-proxy tests), and PostgreSQL's and Redis's servers, which the outage and
# load-and-fault tests start, stop and start again on their own ports. Install them
# when missing, then check Chromium starts.
set -euo pipefail
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
out="$(/usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --dump-dom 'data:text/html,<p>browser-ready</p>' 2>/dev/null </dev/null)"
grep -q browser-ready <<<"$out" || { echo "headless Chromium did not start" >&2; exit 1; }
