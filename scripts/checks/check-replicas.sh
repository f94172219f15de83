#!/usr/bin/env bash
# Three `bookcat serve` processes on one PostgreSQL and one Redis, as a scaled-out deployment runs them, and the
# promises that only hold if they share one truth (scripts/tests/replicas.py):
#   - a write answered by any replica is read, fresh, through every other one (no stale cached page);
#   - 60 concurrent loans spread over the three on a stock of 10 give exactly 10 loans;
#   - failed logins spread over the three lock the account out after the same 5 as on one;
#   - with the third cut off from Redis (a proxy in between) and the others not, what it answers is never followed
#     by an older page or a logged-out session's page on the others.
# Run as root, it builds, then runs PostgreSQL, Redis, the servers and the checks as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

build_then_run_unprivileged "$0" "$@"

work=$(mktemp -d)
server_pids=()
redis_pid=""
proxy_pid=""
postgres_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
    stop_private_postgres "${postgres_pid:-}"
    rm -rf "$work"
}
trap cleanup EXIT

postgres_port=$(free_port)
postgres_pid=$(start_private_postgres "$work" "$postgres_port")
redis_port=$(free_port)
redis_pid=$(start_private_redis "$redis_port")
export DATABASE_URL="postgres://bookcat@127.0.0.1:$postgres_port/bookcat?sslmode=disable"
# The third replica reaches Redis through a proxy the checks can cut.
proxy_port=$(free_port)
python3 -u scripts/tests/tcp_proxy.py "$proxy_port" "$redis_port" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do grep -q ready "$work/proxy.log" && break; sleep 0.1; done
export REDIS_URL="redis://127.0.0.1:$redis_port" BCRYPT_COST=4 LOG_LEVEL=warning
# The 60 members sign up from one address; the signup limit is not what this checks.
export SIGNUPS_PER_ADDRESS=1000000
export JWT_SECRET_KEY="replica-test-secret-0123456789abcdef-0123456789"

urls=()
ports=()
for replica in 1 2 3; do
    port=$(free_port)
    redis_url=$REDIS_URL
    if [ "$replica" = 3 ]; then redis_url="redis://127.0.0.1:$proxy_port"; fi
    HTTP_PORT=$port REDIS_URL=$redis_url .build/debug/bookcat serve >"$work/replica-$replica.log" 2>&1 &
    server_pids+=("$!")
    ports+=("$port")
    urls+=("http://127.0.0.1:$port")
done
for replica in 0 1 2; do
    wait_until_ready "${ports[$replica]}" "$work/replica-$((replica + 1)).log" 100 || exit 1
done
printf '%s\n' 'admin password 1' | .build/debug/bookcat user create --email admin@example.org --password-stdin --admin >/dev/null

status=0
python3 scripts/tests/replicas.py "${urls[@]}" "$proxy_pid" || status=$?
if grep -q "unhandled error" "$work"/replica-*.log; then
    echo "a replica logged unhandled errors:" >&2
    grep "unhandled error" "$work"/replica-*.log >&2
    status=1
fi
exit "$status"
