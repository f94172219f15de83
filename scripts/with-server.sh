#!/usr/bin/env bash
# Runs a command against a freshly built server with an empty database and its own Redis, both on free ports,
# then stops them. WITH_POSTGRES=1: the database is a private PostgreSQL cluster instead of a SQLite file. The command sees BOOKCAT_URL (http://127.0.0.1:PORT) and DATABASE_PATH, so it can also use the
# `bookcat` command line on the same database. Run as root, it builds, then runs the server, Redis and the
# command as an unprivileged user (scripts/lib.sh), as a real deployment would.
#   scripts/with-server.sh COMMAND [ARGUMENTS...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Nothing to do where they are installed (also in the unprivileged second run below).
ensure_apt_packages "${BUILD_PACKAGES[@]}" python3
[ "${WITH_POSTGRES:-}" != 1 ] || ensure_apt_packages "${POSTGRES_PACKAGES[@]}"
build_then_run_unprivileged "$0" "$@"

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

port=$(free_port)
redis_port=$(free_port)
redis_pid=$(start_private_redis "$redis_port")
# WITH_POSTGRES=1: the store is a private PostgreSQL cluster (DATABASE_URL) instead of a SQLite file.
if [ "${WITH_POSTGRES:-}" = 1 ]; then
    postgres_port=$(free_port)
    postgres_pid=$(start_private_postgres "$work" "$postgres_port")
    export DATABASE_URL="postgres://bookcat@127.0.0.1:$postgres_port/bookcat?sslmode=disable"
fi
export DATABASE_PATH="$work/catalog.sqlite3" HTTP_PORT="$port" BCRYPT_COST=4 REDIS_URL="redis://127.0.0.1:$redis_port"
# As the image runs it (Dockerfile): two allocator arenas, so memory stays flat under a long load.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# Contract tests and the walkthrough sign up many accounts from one address, and log in and refresh in loops.
export SIGNUPS_PER_ADDRESS="${SIGNUPS_PER_ADDRESS:-1000000}" LOGINS_PER_MINUTE="${LOGINS_PER_MINUTE:-1000000}"
export REFRESHES_PER_MINUTE="${REFRESHES_PER_MINUTE:-1000000}"
export LOG_LEVEL="${LOG_LEVEL:-warning}" JWT_SECRET_KEY="${JWT_SECRET_KEY:-local-test-secret-0123456789abcdef}"
export BOOKCAT_URL="http://127.0.0.1:$port" SERVER_LOG="$work/server.log"

# Started from its own folder, not the checkout: the binary finds its resources (/docs) beside itself, whatever the
# working directory, and reads no .env it was not meant to.
(cd "$work" && exec "$OLDPWD/.build/debug/bookcat" serve) >"$SERVER_LOG" 2>&1 &
server_pid=$!
# Ready means the cache answers too: `healthcheck` fails while it reports "degraded".
wait_until_ready "$port" "$SERVER_LOG" || exit 1

status=0
"$@" || status=$?
if grep -q "unhandled error" "$SERVER_LOG"; then
    echo "the server logged unhandled errors:" >&2
    grep "unhandled error" "$SERVER_LOG" >&2
    status=1
fi
[ "$status" -eq 0 ] || { echo "--- server log (last 40 lines)" >&2; tail -n 40 "$SERVER_LOG" >&2; }
exit "$status"
