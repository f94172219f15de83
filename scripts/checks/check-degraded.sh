#!/usr/bin/env bash
# A service whose Redis is configured but unreachable must say so, not fail silently: it keeps serving from SQLite
# (X-Cache: ERROR), health reports "degraded" (the cause is in the log), `bookcat healthcheck` exits 1 (so compose and the
# deploy treat it as not ready and roll back), and the log warns, naming the cause. The server runs as an
# unprivileged user when this runs as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
build_then_run_unprivileged "$0" "$@"

work=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "degraded check failed: $1" >&2
    cat "$work/server.log" >&2
    exit 1
}

port=$(free_port)
closed_port=$(free_port) # nothing listens there: Redis is "down"
export DATABASE_PATH="$work/catalog.sqlite3" HTTP_PORT="$port" BCRYPT_COST=4 REDIS_URL="redis://127.0.0.1:$closed_port"
export LOG_LEVEL=info JWT_SECRET_KEY=local-test-secret-0123456789abcdef
.build/debug/bookcat serve >"$work/server.log" 2>&1 &
server_pid=$!

base="http://127.0.0.1:$port/api/v1"
for _ in $(seq 1 50); do curl -sf "$base/common/health-check" >/dev/null 2>&1 && break; sleep 0.2; done
health=$(curl -sS --fail-with-body "$base/common/health-check") || fail "no health answer"
# The cause with the cache's address goes to the log (checked below), not to anonymous callers.
echo "$health" | jq -e --arg where "$closed_port" \
    '.status == "degraded" and .cache == "unavailable" and .reason == "cache unavailable" and (tostring | contains($where) | not)' >/dev/null ||
    fail "expected a degraded health that does not name the cache's address, got $health"

verdict_status=0
verdict=$(.build/debug/bookcat healthcheck) || verdict_status=$?
[ "$verdict_status" -eq 1 ] || fail "bookcat healthcheck exited $verdict_status on a degraded service: $verdict"
[[ "$verdict" == degraded:* ]] || fail "bookcat healthcheck printed '$verdict'"

# Still serving, from the database.
printf '%s\n' 'admin password 1' | .build/debug/bookcat user create --email admin@example.org --password-stdin --admin >/dev/null
token=$(curl -sS --fail-with-body -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "admin@example.org", "password": "admin password 1"}' | jq -r .access_token)
cache=$(curl -sS --fail-with-body -o /dev/null -D - "$base/books" -H "Authorization: Bearer $token" | tr -d '\r' | grep -i '^x-cache')
[ "$cache" = "X-Cache: ERROR" ] || fail "expected the listing to be served uncached (X-Cache: ERROR), got '$cache'"

warnings=$(grep "Redis is unreachable" "$work/server.log" | grep -c "127.0.0.1:$closed_port" || true)
[ "$warnings" -ge 1 ] || fail "the log does not warn that Redis at 127.0.0.1:$closed_port is unreachable"
echo "degraded check: health 'degraded' with the cause, healthcheck exit 1, listings served uncached, $warnings warning(s) in the log (as $(id -un))"
