#!/usr/bin/env bash
# Runs the README's curl walkthrough, command for command, against a freshly built server with an empty database,
# and fails if any step fails. Only the port differs: the server listens on a free one instead of 8000.
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
export DATABASE_PATH="$work/catalog.sqlite3" HTTP_PORT="$port" BCRYPT_COST=4 REDIS_URL="redis://127.0.0.1:$redis_port"
swift build --product bookcat >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
.build/debug/bookcat serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
    .build/debug/bookcat healthcheck >/dev/null 2>&1 && break
    sleep 0.2
done
.build/debug/bookcat healthcheck

# The shell blocks between the walkthrough markers, with the documented port swapped for the test one.
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' README.md |
    awk '/^```sh$/ {inside = 1; next} /^```$/ {inside = 0; next} inside' |
    sed "s/127\.0\.0\.1:8000/127.0.0.1:$port/g" >"$work/walkthrough.sh"
[ -s "$work/walkthrough.sh" ] || { echo "no walkthrough found in README.md" >&2; exit 1; }

fail() {
    echo "README walkthrough failed: $1" >&2
    cat "$work/walkthrough.log" "$work/walkthrough.out" >&2
    echo "--- server log" >&2
    cat "$work/server.log" >&2
    exit 1
}
bash -euo pipefail -x "$work/walkthrough.sh" >"$work/walkthrough.out" 2>"$work/walkthrough.log" || fail "a command failed"
# What the README says the commands print: the new admin, the stock after one loan of three copies, the cache's answers.
# (JSON bodies end without a newline, so a value can follow the previous body on the same line.)
tr -d '\r' <"$work/walkthrough.out" | sed 's/^{.*}//' | grep -v '^$' >"$work/printed.txt"
expected=$'created admin admin <admin@example.org> with id 2\n2\nX-Cache: MISS\nX-Cache: HIT\nX-Cache: BYPASS\n10\nX-Cache: MISS'
[ "$(cat "$work/printed.txt")" = "$expected" ] || fail "expected the printed lines to be:
$expected
got:
$(cat "$work/printed.txt")"
echo "README walkthrough: $(grep -cE '^\++ curl' "$work/walkthrough.log") curl commands answered as documented"
