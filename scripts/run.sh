#!/usr/bin/env bash
# Installs what is missing, builds, and serves the API on http://127.0.0.1:8000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}" python3
echo "==> building"
swift_build --product bookcat

# Without a configured Redis, run a private one for this session so the cache works out of the box.
redis_pid=""
if [ -z "${REDIS_URL:-}" ] && ! grep -qs '^REDIS_URL=' .env; then
    redis_port=6379
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && redis_port=$(free_port)
    redis_pid=$(start_private_redis "$redis_port")
    export REDIS_URL="redis://127.0.0.1:$redis_port"
    echo "==> started a private Redis at $REDIS_URL (stopped with the server)"
fi
stop_redis() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; true; }
trap stop_redis EXIT

echo "==> serving (configuration: environment variables or .env, see docs/configuration.md)"
.build/debug/bookcat serve
