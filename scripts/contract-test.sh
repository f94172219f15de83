#!/usr/bin/env bash
# Checks the running service against REST_API_SPEC.yaml with schemathesis: every operation, examples, coverage,
# fuzzing and the stateful link-following phase, with all checks. Starts Redis and the server on free ports with a
# seeded database, and stops both. Expects .venv with schemathesis (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

work=$(mktemp -d)
server_pid=""
redis_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
redis_port=$(free_port)
redis_pid=$(start_private_redis "$redis_port")
export DATABASE_PATH="$work/catalog.sqlite3" HTTP_PORT="$port" BCRYPT_COST=4 REDIS_URL="redis://127.0.0.1:$redis_port" LOG_LEVEL=warning
export JWT_SECRET_KEY="contract-test-secret-0123456789abcdef"

swift build --product bookcat >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
bookcat=.build/debug/bookcat
# The accounts the spec's examples use, so example requests can succeed.
$bookcat user create --email admin@example.org --password 'admin password 1' --admin >/dev/null
$bookcat user create --email ada@example.org --username ada --password 'correct horse 1' >/dev/null
$bookcat serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do $bookcat healthcheck >/dev/null 2>&1 && break; sleep 0.2; done
$bookcat healthcheck >/dev/null

base="http://127.0.0.1:$port/api/v1"
token=$(curl -sS --fail-with-body -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "admin@example.org", "password": "admin password 1"}' | jq -r .access_token)
# A tag and a book, so reads by the examples' ids find something.
curl -sS --fail-with-body -X POST "$base/tags" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name": "seed"}' >/dev/null
curl -sS --fail-with-body -X POST "$base/books" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"title": "Seed", "author": "Seeder", "isbn": "9780000000001", "published_at": "2000-01-01", "stock": 1000, "tags": [1]}' >/dev/null

status=0
NO_COLOR=1 .venv/bin/schemathesis --config-file schemathesis.toml run REST_API_SPEC.yaml \
    --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
    --seed "${SCHEMATHESIS_SEED:-20261121}" \
    --request-timeout 10 \
    >"$work/schemathesis.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    cat "$work/schemathesis.log"
    echo "--- server log" >&2
    tail -n 50 "$work/server.log" >&2
    exit "$status"
fi
# The summary: phases, operations and the closing line.
sed -n '/SUMMARY/,$p' "$work/schemathesis.log"
# Even with every check passing, the server must not have logged an unhandled error.
if grep -q "unhandled error" "$work/server.log"; then
    echo "the server logged unhandled errors during the contract run:" >&2
    grep "unhandled error" "$work/server.log" >&2
    exit 1
fi
