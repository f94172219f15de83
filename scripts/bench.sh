#!/usr/bin/env bash
# The cached-versus-uncached benchmark in one command. Installs what is missing, builds in release mode, starts Redis
# and the server on free ports over a seeded database, runs each scenario with wrk (the Redis-tier hit also over TLS
# and on a three-primary Redis Cluster), measures nginx serving the same body as a reference, and writes bench-results/results.json, bench-results/report.svg and a table on the terminal.
# Everything it starts, it stops.
#
# Settings (environment): BENCH_BOOKS (500), BENCH_DURATION seconds per scenario (10), BENCH_CONNECTIONS (16),
# BENCH_THREADS (2), BENCH_LARGE_BOOKS (0: skip; e.g. 1000000 to time filtered listings over a large catalog, on
# PostgreSQL too with BENCH_STORE=postgres),
# BENCH_STORE (sqlite; postgres also runs the cached, uncached, single-book, create and loan scenarios on a private
# PostgreSQL cluster with initdb's settings, seeded alike, for a side-by-side table and chart), BENCH_OUT (bench-results).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

books=${BENCH_BOOKS:-500}
duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
large_books=${BENCH_LARGE_BOOKS:-0}
store=${BENCH_STORE:-sqlite}
case "$store" in sqlite | postgres) ;; *) echo "BENCH_STORE must be sqlite or postgres, not $store" >&2; exit 2 ;; esac
out=${BENCH_OUT:-bench-results}

ensure_apt_packages "${BUILD_PACKAGES[@]}" "${POSTGRES_PACKAGES[@]}" wrk nginx-light python3 jq openssl
echo "==> building (release)"
swift_build -c release --product bookcat >/dev/null
bookcat=$PWD/.build/release/bookcat

work=$(mktemp -d)
mkdir -p "$out"
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_private_postgres "${postgres_pid:-}"
    rm -rf "$work"
}
trap cleanup EXIT

redis_port=$(free_port)
redis_pid=$(start_private_redis "$redis_port")
pids+=("$redis_pid")
export REDIS_URL="redis://127.0.0.1:$redis_port" DATABASE_PATH="$work/catalog.sqlite3" LOG_LEVEL=warning BCRYPT_COST=10
# As the image runs it (Dockerfile): two allocator arenas.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export JWT_SECRET_KEY="benchmark-secret-0123456789abcdef0123"
# The uncached scenario sends Cache-Control: no-store from every connection as one admin: let all of them bypass.
export CACHE_BYPASS_PER_ACCOUNT=100000

echo "==> seeding $books books"
$bookcat seed --books "$books" --tags 50 --seed 1 </dev/null
printf '%s\n' 'bench password 1' | $bookcat user create --email bench@example.org --password-stdin --admin >/dev/null

port=$(free_port)
HTTP_PORT=$port $bookcat serve >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
# A second server over the same database and Redis with the memory tier off: the cached listing from Redis alone.
redis_tier_port=$(free_port)
HTTP_PORT=$redis_tier_port CACHE_MEMORY_MB=0 $bookcat serve >"$work/server-redis-tier.log" 2>&1 &
redis_tier_pid=$!
pids+=("$redis_tier_pid")
export HTTP_PORT=$port
# wait_healthy PORT: waits up to 10 s for the server on PORT to answer ready, and fails the run if it does not.
wait_healthy() {
    for _ in $(seq 1 50); do HTTP_PORT=$1 $bookcat healthcheck >/dev/null 2>&1 && return; sleep 0.2; done
    HTTP_PORT=$1 $bookcat healthcheck >/dev/null
}
wait_healthy "$port"
wait_healthy "$redis_tier_port"
base="http://127.0.0.1:$port"
redis_tier_base="http://127.0.0.1:$redis_tier_port"
token=$(curl -sS --fail-with-body -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "bench@example.org", "password": "bench password 1"}' | jq -r .access_token)

# metric SERVER_URL NAME: a counter's value on one server.
metric() { curl -sS "$1/metrics" | awk -v name="$2" '$1 == name {print $2}'; }

# CPU time (user + system) of processes, in clock ticks, from /proc/PID/stat: divided by the requests a scenario
# served, it gives CPU microseconds per request, steadier than req/s on a shared machine and comparable across runs.
cpu_ticks() {
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
tick_us=$((1000000 / $(getconf CLK_TCK)))

# Adds cpu_us_per_request (server, redis, total) to a scenario's result file.
record_cpu() {
    local file=$1 server_ticks=$2 redis_ticks=$3
    python3 - "$file" "$server_ticks" "$redis_ticks" "$tick_us" <<'PY'
import json, sys
path, server, redis, tick_us = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
result = json.load(open(path))
requests = max(result["requests"], 1)
result["cpu_us_per_request"] = {
    "server": round(server * tick_us / requests, 1),
    "redis": round(redis * tick_us / requests, 1),
    "total": round((server + redis) * tick_us / requests, 1),
}
json.dump(result, open(path, "w"))
PY
}

# run_scenario NAME [WRK_SCENARIO SERVER_URL SERVER_PID TOKEN]: one wrk run, its CPU per request and cache counters.
# The server's CPU includes its database's when that is a separate server (the pids in DATABASE_PIDS).
run_scenario() {
    local name=$1 scenario=${2:-$1} target=${3:-$base} pid=${4:-$server_pid} bearer=${5:-$token}
    local database_pids redis_pids
    read -r -a database_pids <<<"${DATABASE_PIDS:-}"
    # Redis's CPU: the one server's, or every node's of a cluster (REDIS_PIDS).
    read -r -a redis_pids <<<"${REDIS_PIDS:-$redis_pid}"
    local before_hits before_misses before_memory
    before_hits=$(metric "$target" cache_hits_total); before_misses=$(metric "$target" cache_misses_total)
    before_memory=$(metric "$target" cache_memory_hits_total)
    local server_before redis_before
    server_before=$(cpu_ticks "$pid" "${database_pids[@]}"); redis_before=$(cpu_ticks "${redis_pids[@]}")
    SCENARIO=$scenario TOKEN=$bearer BOOKS=$books TAGS=50 OUT="$work/$name.json" \
        wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 5s -s scripts/bench/scenario.lua "$target" >/dev/null
    record_cpu "$work/$name.json" $(($(cpu_ticks "$pid" "${database_pids[@]}") - server_before)) $(($(cpu_ticks "${redis_pids[@]}") - redis_before))
    local hits misses memory
    hits=$(( $(metric "$target" cache_hits_total) - ${before_hits:-0} )); misses=$(( $(metric "$target" cache_misses_total) - ${before_misses:-0} ))
    memory=$(( $(metric "$target" cache_memory_hits_total) - ${before_memory:-0} ))
    python3 - "$work/$name.json" "$hits" "$misses" "$memory" <<'PY'
import json, sys
path, hits, misses, memory = sys.argv[1], int(float(sys.argv[2])), int(float(sys.argv[3])), int(float(sys.argv[4]))
result = json.load(open(path))
result["cache_hits"], result["cache_misses"], result["cache_memory_hits"] = hits, misses, memory
result["hit_ratio"] = round(hits / (hits + misses), 4) if hits + misses else None
# Which tier served the hits: the process's memory, or Redis.
result["memory_tier_share"] = round(memory / hits, 4) if hits else None
json.dump(result, open(path, "w"))
PY
    echo "    $name: $(jq -r '"\(.requests_per_second) req/s, p99 \(.latency_ms.p99) ms, errors \(.errors), CPU \(.cpu_us_per_request.total) µs/request"' "$work/$name.json")"
}

echo "==> scenarios: ${duration}s each, $connections connections, $threads threads"
# Warm the cached listing once, then measure.
curl -sS -o "$work/books.json" "$base/api/v1/books?page_size=100" -H "Authorization: Bearer $token"
curl -sS -o /dev/null "$redis_tier_base/api/v1/books?page_size=100" -H "Authorization: Bearer $token"
run_scenario cached
run_scenario cached_redis cached "$redis_tier_base" "$redis_tier_pid"

echo "==> the Redis-tier hit (memory tier off) over TLS and on a three-primary cluster"
# TLS: a CA made here, and a redis-server that listens on a TLS port only.
mkdir -p "$work/tls" "$work/cluster"
(
    cd "$work/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=bench CA" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null
)
tls_redis_port=$(free_port)
redis-server --port 0 --tls-port "$tls_redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning \
    --tls-cert-file "$work/tls/server.pem" --tls-key-file "$work/tls/server.key" --tls-ca-cert-file "$work/tls/ca.pem" \
    --tls-auth-clients no >/dev/null 2>&1 &
tls_redis_pid=$!
pids+=("$tls_redis_pid")
# A cluster of three primaries (no replicas: the hit path reads primaries only), each with its bus on a port of its own.
cluster_seeds=""
cluster_pids=""
cluster_nodes=()
for _ in 1 2 3; do
    node_port=$(free_port)
    redis-server --port "$node_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning --cluster-enabled yes \
        --cluster-port "$(free_port)" --cluster-config-file "$work/cluster/nodes-$node_port.conf" --dir "$work/cluster" >/dev/null 2>&1 &
    pids+=("$!")
    cluster_pids+="$! "
    cluster_nodes+=("127.0.0.1:$node_port")
    cluster_seeds+="${cluster_seeds:+,}127.0.0.1:$node_port"
done
for _ in $(seq 1 50); do
    redis-cli --tls --cacert "$work/tls/ca.pem" -p "$tls_redis_port" ping >/dev/null 2>&1 \
        && redis-cli -p "${cluster_nodes[2]##*:}" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli --cluster create "${cluster_nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
for _ in $(seq 1 100); do
    redis-cli -p "${cluster_nodes[0]##*:}" cluster info | grep -q cluster_state:ok && break
    sleep 0.1
done
tls_port=$(free_port)
HTTP_PORT=$tls_port CACHE_MEMORY_MB=0 REDIS_URL="rediss://127.0.0.1:$tls_redis_port" REDIS_TLS_CA_FILE="$work/tls/ca.pem" \
    $bookcat serve >"$work/server-tls.log" 2>&1 &
tls_server_pid=$!
pids+=("$tls_server_pid")
cluster_port=$(free_port)
HTTP_PORT=$cluster_port CACHE_MEMORY_MB=0 REDIS_URL="redis://127.0.0.1" REDIS_CLUSTER=$cluster_seeds \
    $bookcat serve >"$work/server-cluster.log" 2>&1 &
cluster_server_pid=$!
pids+=("$cluster_server_pid")
wait_healthy "$tls_port"
wait_healthy "$cluster_port"
curl -sS -o /dev/null "http://127.0.0.1:$tls_port/api/v1/books?page_size=100" -H "Authorization: Bearer $token"
curl -sS -o /dev/null "http://127.0.0.1:$cluster_port/api/v1/books?page_size=100" -H "Authorization: Bearer $token"
REDIS_PIDS=$tls_redis_pid run_scenario cached_redis_tls cached "http://127.0.0.1:$tls_port" "$tls_server_pid"
REDIS_PIDS=$cluster_pids run_scenario cached_redis_cluster cached "http://127.0.0.1:$cluster_port" "$cluster_server_pid"
# The plain single node again, right after: the ratios compare runs minutes apart at most.
run_scenario cached_redis_again cached "$redis_tier_base" "$redis_tier_pid"
for scenario in uncached detail mixed write loan; do
    run_scenario "$scenario"
done
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")

echo "==> reference: nginx (one worker) serving the same body as a static file"
nginx_port=$(free_port)
mkdir -p "$work/nginx/www"
cp "$work/books.json" "$work/nginx/www/books.json"
# nginx's worker drops root privileges: let it read the file.
chmod o+rx "$work" "$work/nginx" "$work/nginx/www" && chmod o+r "$work/nginx/www/books.json"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/nginx/www;
        default_type application/json;
    }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
pids+=("$nginx_pid")
sleep 0.5
mapfile -t nginx_workers < <(pgrep -P "$nginx_pid")
nginx_processes=("$nginx_pid" "${nginx_workers[@]}")
nginx_before=$(cpu_ticks "${nginx_processes[@]}")
SCENARIO=static OUT="$work/static.json" \
    wrk -t"$threads" -c"$connections" -d"${duration}s" -s scripts/bench/scenario.lua "http://127.0.0.1:$nginx_port" >/dev/null
record_cpu "$work/static.json" $(($(cpu_ticks "${nginx_processes[@]}") - nginx_before)) 0
echo "    static: $(jq -r '"\(.requests_per_second) req/s, p99 \(.latency_ms.p99) ms, CPU \(.cpu_us_per_request.total) µs/request"' "$work/static.json")"

postgres_names=""
if [ "$store" = postgres ]; then
    echo "==> the same catalog on PostgreSQL: cached, uncached, single book, create book"
    # PostgreSQL refuses to run as root: the cluster runs as the unprivileged test user (scripts/lib.sh).
    mkdir -p "$work/postgres" && chmod o+rx "$work" && chmod 777 "$work/postgres"
    postgres_port=$(free_port)
    # A stock cluster, as initdb makes it and as many hosted plans start (shared_buffers 128 MB), durable as a real
    # server is: every commit synced.
    # shellcheck disable=SC2016  # expanded by the inner shell
    postgres_pid=$(as_unprivileged bash -c 'source scripts/lib.sh && start_private_postgres "$@"' _ "$work/postgres" "$postgres_port" \
        -c fsync=on -c synchronous_commit=on -c full_page_writes=on)
    postgres_url="postgres://bookcat@127.0.0.1:$postgres_port/bookcat?sslmode=disable"
    DATABASE_URL=$postgres_url $bookcat seed --books "$books" --tags 50 --seed 1 </dev/null
    printf '%s\n' 'bench password 1' | DATABASE_URL=$postgres_url $bookcat user create --email bench@example.org --password-stdin --admin >/dev/null
    postgres_http_port=$(free_port)
    # Its own Redis database, so it never meets the SQLite servers' cached pages.
    DATABASE_URL=$postgres_url HTTP_PORT=$postgres_http_port REDIS_URL="redis://127.0.0.1:$redis_port/1" \
        $bookcat serve >"$work/server-postgres.log" 2>&1 &
    postgres_server_pid=$!
    pids+=("$postgres_server_pid")
    wait_healthy "$postgres_http_port"
    postgres_base="http://127.0.0.1:$postgres_http_port"
    postgres_token=$(curl -sS --fail-with-body -X POST "$postgres_base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email": "bench@example.org", "password": "bench password 1"}' | jq -r .access_token)
    curl -sS -o /dev/null "$postgres_base/api/v1/books?page_size=100" -H "Authorization: Bearer $postgres_token"
    for scenario in cached uncached detail write loan; do
        # The database's CPU counts as the server's: its backends, which the pool keeps for the whole run.
        DATABASE_PIDS="$postgres_pid $(pgrep -d ' ' -P "$postgres_pid")" \
            run_scenario "postgres_$scenario" "$scenario" "$postgres_base" "$postgres_server_pid" "$postgres_token"
        postgres_names+="$scenario "
    done
fi

# time_large_catalog STORE: seeds a catalog of $large_books books into the store the environment names
# (DATABASE_PATH or DATABASE_URL), serves it uncached, times each filtered listing (p50 of 30 sequential requests,
# one connection), and writes $work/large_STORE.json with the seed time and the server's peak memory.
time_large_catalog() {
    local store_name=$1 seed_started seed_seconds port server token rss queries query
    echo "==> filtered listings over $large_books books on $store_name (uncached, one connection)"
    seed_started=$(date +%s.%N)
    $bookcat seed --books "$large_books" --tags 50 --seed 2 </dev/null
    seed_seconds=$(python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$seed_started")
    printf '%s\n' 'bench password 1' | $bookcat user create --email bench@example.org --password-stdin --admin >/dev/null
    port=$(free_port)
    HTTP_PORT=$port REDIS_URL=off $bookcat serve >"$work/large-$store_name.log" 2>&1 &
    server=$!
    pids+=("$server")
    wait_healthy "$port"
    token=$(curl -sS --fail-with-body -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email": "bench@example.org", "password": "bench password 1"}' | jq -r .access_token)
    queries="["
    # The last one is a page past the end of a broad filter: a 404, which the count alone must prove.
    for query in "title=River" "author=hopper" "title=zq" "author=an&order_by=-published_at" "tag=3&tag=7&tag_option=and" "tag=3&tag=7&tag_option=or" \
        "title=Golden&order_by=title" "title=Golden&order_by=-published_at" "author=turing&order_by=created_at" \
        "tag=5&order_by=-title" "" "page=90000" "order_by=title&page=90000" "author=an&order_by=-published_at&page=99999"; do
        python3 scripts/bench/time_requests.py "http://127.0.0.1:$port/api/v1/books?$query" "$token" 30 >"$work/q.json"
        queries="$queries$(cat "$work/q.json"),"
        echo "    ${query:-(no filter)}: p50 $(jq -r .p50_ms "$work/q.json") ms, status $(jq -r .status "$work/q.json"), count $(jq -r .count "$work/q.json")"
    done
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
    kill "$server"
    echo "{\"seed_seconds\": $seed_seconds, \"server_peak_rss_mb\": $((rss / 1024)), \"queries\": ${queries%,}]}" >"$work/large_$store_name.json"
    echo "    seeded in $seed_seconds s; server peak resident memory $((rss / 1024)) MB"
}

large_stores=""
if [ "$large_books" -gt 0 ]; then
    DATABASE_PATH="$work/large.sqlite3" time_large_catalog sqlite
    large_stores="sqlite"
    if [ "$store" = postgres ]; then
        "$(postgres_bin)/createdb" -h 127.0.0.1 -p "$postgres_port" -U bookcat bookcat_large
        DATABASE_URL="postgres://bookcat@127.0.0.1:$postgres_port/bookcat_large?sslmode=disable" time_large_catalog postgres
        large_stores="sqlite postgres"
    fi
fi

python3 - "$work" "$out" "$books" "$duration" "$connections" "$threads" "$rss_kb" "$large_stores" "$large_books" "$postgres_names" <<'PY'
import json, os, platform, subprocess, sys
work, out, books, duration, connections, threads, rss_kb, large_stores, large_books, postgres_names = sys.argv[1:]
scenarios = {name: json.load(open(os.path.join(work, name + ".json"))) for name in
             ["cached", "cached_redis", "cached_redis_tls", "cached_redis_cluster", "cached_redis_again", "uncached", "detail", "mixed", "write", "loan", "static"]}
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown")
results = {
    "machine": {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
                "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
    "settings": {"books": int(books), "duration_s": int(duration), "connections": int(connections), "threads": int(threads)},
    "scenarios": scenarios,
    "server_peak_rss_mb": round(int(rss_kb) / 1024, 1),
    "large_catalog": {"books": int(large_books),
                      "stores": {name: json.load(open(os.path.join(work, f"large_{name}.json"))) for name in large_stores.split()}}
                     if large_stores else None,
    # The same scenarios on PostgreSQL (BENCH_STORE=postgres); CPU per request includes the database server's.
    "postgres_scenarios": {name: json.load(open(os.path.join(work, "postgres_" + name + ".json"))) for name in postgres_names.split()} or None,
    "store_settings": {
        "SQLite": "WAL, synchronous = FULL (every commit synced), in the server's process",
        "PostgreSQL": subprocess.run(["bash", "-c", "source scripts/lib.sh; \"$(postgres_bin)/postgres\" --version"], capture_output=True, text=True).stdout.strip()
                      + ": initdb's defaults (shared_buffers 128 MB), fsync, full_page_writes and synchronous_commit on",
    } if postgres_names else None,
}
json.dump(results, open(os.path.join(out, "results.json"), "w"), indent=2)
PY
python3 scripts/bench/report.py "$out/results.json" "$out/report.svg"
