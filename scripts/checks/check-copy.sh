#!/usr/bin/env bash
# The upgrade path from SQLite to PostgreSQL, as docs/scaling.md gives it, on a catalog of 100,000 books:
#   1. a service on SQLite is used (scripts/tests/upgrade.py before): an account, loans, a live session, pages read;
#   2. `bookcat copy --from sqlite:… --to postgres://…` moves it; its counts are checked against both databases;
#   3. a service on PostgreSQL shows the same account, loans, session and pages (upgrade.py after);
#   4. copying again into the now-full database is refused and changes nothing.
# BOOKS=N changes the catalog's size. Run as root, it builds, then runs everything as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

build_then_run_unprivileged "$0" "$@"

books=${BOOKS:-100000}
work=$(mktemp -d)
server_pid=""
redis_pid=""
postgres_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
    stop_private_postgres "${postgres_pid:-}"
    rm -rf "$work"
}
trap cleanup EXIT

redis_port=$(free_port)
redis_pid=$(start_private_redis "$redis_port")
postgres_port=$(free_port)
postgres_pid=$(start_private_postgres "$work" "$postgres_port")
sqlite_path="$work/catalog.sqlite3"
postgres_url="postgres://bookcat@127.0.0.1:$postgres_port/bookcat?sslmode=disable"
export REDIS_URL="redis://127.0.0.1:$redis_port" BCRYPT_COST=4 LOG_LEVEL=warning
export JWT_SECRET_KEY="upgrade-test-secret-0123456789abcdef-0123456789"

# Serves the store named by the environment until stop_server; waits until it is ready.
start_server() {
    HTTP_PORT=$port .build/debug/bookcat serve >>"$work/server.log" 2>&1 &
    server_pid=$!
    wait_until_ready "$port" "$work/server.log" 100 || exit 1
}
stop_server() {
    kill "$server_pid"
    wait "$server_pid" || true
    server_pid=""
}

# Rows per table, as the database itself counts them (not as bookcat reports them).
sqlite_counts() {
    python3 - "$sqlite_path" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = ["user", "tag", "book", "book_tag", "loan", "refresh_token"]
print(" ".join("%s=%d" % (t, db.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0]) for t in tables))
PY
}
postgres_counts() {
    local table line=""
    for table in user tag book book_tag loan refresh_token; do
        line+="$table=$("$(postgres_bin)/psql" -h 127.0.0.1 -p "$postgres_port" -U bookcat -d bookcat -At -c "SELECT count(*) FROM \"$table\"") "
    done
    echo "${line% }"
}

port=$(free_port)
echo "==> a service on SQLite with $books books"
export DATABASE_PATH=$sqlite_path
.build/debug/bookcat seed --books "$books" --tags 50 >/dev/null
printf '%s\n' 'admin password 1' | .build/debug/bookcat user create --email admin@example.org --password-stdin --admin >/dev/null
start_server
python3 scripts/tests/upgrade.py before "http://127.0.0.1:$port" "$work/state.json"
stop_server

echo "==> bookcat copy --from sqlite:… --to postgres://…"
started=$(date +%s)
.build/debug/bookcat copy --from "sqlite:$sqlite_path" --to "$postgres_url" | tee "$work/copy.out"
echo "copy took $(($(date +%s) - started)) s"
expected=$(sqlite_counts)
actual=$(postgres_counts)
[ "$expected" = "$actual" ] || { echo "row counts differ: SQLite $expected, PostgreSQL $actual" >&2; exit 1; }
grep -q "book $books " "$work/copy.out" || { echo "the copy did not report $books books" >&2; exit 1; }
echo "row counts agree in both databases: $actual"

echo "==> the same service on PostgreSQL"
unset DATABASE_PATH
export DATABASE_URL=$postgres_url
start_server
python3 scripts/tests/upgrade.py after "http://127.0.0.1:$port" "$work/state.json" "$books"
stop_server

echo "==> copying into a database that holds a catalog is refused"
before=$(postgres_counts)
if .build/debug/bookcat copy --from "sqlite:$sqlite_path" >"$work/again.out" 2>&1; then
    echo "a second copy into the same database succeeded" >&2
    exit 1
fi
grep -q "already holds" "$work/again.out" || { echo "the refusal did not say why:" >&2; cat "$work/again.out" >&2; exit 1; }
[ "$(postgres_counts)" = "$before" ] || { echo "the refused copy changed the database" >&2; exit 1; }
echo "refused: $(tail -n 1 "$work/again.out")"

if grep -q "unhandled error" "$work/server.log"; then
    echo "a server logged unhandled errors:" >&2
    grep "unhandled error" "$work/server.log" >&2
    exit 1
fi
