# shellcheck shell=bash
# Shared helpers for the scripts in this folder; source it, don't run it.

# Installs the Debian/Ubuntu packages given that are not installed yet (needs root or sudo).
ensure_apt_packages() {
    local missing=()
    local package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "==> installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # Through env: sudo drops the caller's environment, and a package that asks a question would wait silently.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What the service needs to build and run with its cache, plus jq and curl for the README walkthrough.
# shellcheck disable=SC2034  # used by the scripts that source this file
readonly BUILD_PACKAGES=(libsqlite3-dev libhiredis-dev redis-server jq curl)
# shellcheck disable=SC2034  # used by the scripts that source this file
# Only for the checks that start private PostgreSQL clusters (the tests, the benchmark's PostgreSQL run): running
# the service does not need a PostgreSQL server on this machine.
readonly POSTGRES_PACKAGES=(postgresql)

# Prints a free TCP port on the loopback interface.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts a throwaway redis-server on 127.0.0.1:PORT (no persistence) and prints its process id.
# The caller stops it by that id.
start_private_redis() {
    local port=$1
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null 2>&1 &
    local pid=$!
    local attempt
    for attempt in $(seq 1 50); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        if [ "$attempt" -eq 50 ]; then
            echo "redis-server did not start on port $port" >&2
            kill "$pid" 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    echo "$pid"
}

# Debian's PostgreSQL server programs (initdb, postgres, pg_isready), newest version first.
postgres_bin() {
    local dir
    for dir in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -t/ -k4 -rn); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    echo "no PostgreSQL server found: apt-get install postgresql" >&2
    return 1
}

# Starts a throwaway PostgreSQL cluster in FOLDER on 127.0.0.1:PORT (user bookcat, trust authentication, a
# database named bookcat) and prints the postmaster's process id; the caller stops it by that id. PostgreSQL
# refuses to run as root: call this as an unprivileged user. Durability is off (a throwaway cluster); further
# arguments go to postgres after that and win (`-c fsync=on -c shared_buffers=1GB`).
# Waits until the `bookcat serve` on PORT answers ready (`bookcat healthcheck`; "degraded" is not ready), trying
# ATTEMPTS times 0.2 s apart (default 50: 10 s). If it never does, says so with the server's LOG and fails.
wait_until_ready() {
    local port=$1 log=$2 attempts=${3:-50} verdict
    for _ in $(seq 1 "$attempts"); do
        HTTP_PORT=$port .build/debug/bookcat healthcheck >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    verdict=$(HTTP_PORT=$port .build/debug/bookcat healthcheck 2>&1) && return 0
    echo "the server on port $port did not become ready as $(id -un): $verdict" >&2
    cat "$log" >&2
    return 1
}

# Stops a cluster start_private_postgres started, by its pid, and waits until it is gone. SIGQUIT is PostgreSQL's
# immediate shutdown: these clusters are thrown away with their folder.
stop_private_postgres() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    # A process that has exited but that nobody reaped (a container whose PID 1 does not reap, as GitHub's job
    # containers) is a zombie: kill -0 still finds it, so it counts as gone.
    while kill -0 "$pid" 2>/dev/null && ! is_zombie "$pid"; do sleep 0.1; done
}

# Whether process PID has exited and only waits to be reaped.
is_zombie() {
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

start_private_postgres() {
    local folder=$1 port=$2 bin
    shift 2
    bin=$(postgres_bin)
    "$bin/initdb" -D "$folder/data" -U bookcat --auth=trust --encoding=UTF8 --locale=C --no-sync >"$folder/initdb.log" 2>&1 ||
        { cat "$folder/initdb.log" >&2; return 1; }
    "$bin/postgres" -D "$folder/data" -p "$port" -k "$folder" -c listen_addresses=127.0.0.1 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off "$@" >"$folder/postgres.log" 2>&1 &
    local pid=$!
    local attempt
    for attempt in $(seq 1 100); do
        "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q && break
        if [ "$attempt" -eq 100 ]; then
            echo "postgres did not start on port $port" >&2
            cat "$folder/postgres.log" >&2
            kill "$pid" 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U bookcat bookcat
    echo "$pid"
}

# The account that servers and tests run as when these scripts run as root. Root may do what no user of the
# service can (a socket option that needs CAP_NET_ADMIN once passed every test as root and kept every real
# deployment off Redis), so nothing that serves or talks to Redis is proven by running it as root.
readonly UNPRIVILEGED_USER=bookcat-test

# Runs a command as UNPRIVILEGED_USER when we are root (creating that system account once), and as ourselves
# otherwise. The command gets its own writable HOME and keeps the rest of the environment.
as_unprivileged() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
        return
    fi
    ensure_unprivileged_user
    local home
    home=$(mktemp -d /tmp/bookcat-test-home.XXXXXX)
    chown "$UNPRIVILEGED_USER:" "$home"
    local status=0
    HOME=$home USER=$UNPRIVILEGED_USER LOGNAME=$UNPRIVILEGED_USER \
        setpriv --reuid="$UNPRIVILEGED_USER" --regid="$UNPRIVILEGED_USER" --clear-groups -- "$@" || status=$?
    rm -rf "$home"
    return "$status"
}

# Creates UNPRIVILEGED_USER if missing, and makes sure it can reach the repository: a checkout under a folder
# only root may enter (mktemp -d makes them) would otherwise be invisible to it. Only the search (x) bit is added
# to such folders, never read or write.
ensure_unprivileged_user() {
    id -u "$UNPRIVILEGED_USER" >/dev/null 2>&1 ||
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$UNPRIVILEGED_USER"
    # From the root down, so each folder is tested with its parents already passable.
    local folder="" part
    local IFS=/
    for part in ${PWD#/}; do
        folder="$folder/$part"
        if ! setpriv --reuid="$UNPRIVILEGED_USER" --regid="$UNPRIVILEGED_USER" --clear-groups -- test -x "$folder"; then
            echo "==> letting $UNPRIVILEGED_USER pass through $folder (chmod o+x)" >&2
            chmod o+x "$folder"
        fi
    done
}

# `swift build` with the pinned packages: Package.resolved written from Package.pins first, and a build that would
# resolve anything else fails (scripts/generate/write-package-resolved.sh says why it is not committed).
#   swift_build [--package-path FOLDER] [swift build arguments...]   (FOLDER: another package, e.g. Benchmarks)
swift_build() {
    local folder=()
    [ "${1:-}" != "--package-path" ] || folder=("$2")
    "$(dirname "${BASH_SOURCE[0]}")/generate/write-package-resolved.sh" "${folder[@]}"
    swift build --force-resolved-versions "$@"
}

# For scripts that start servers: builds `bookcat` as the caller (the build folder belongs to it), then runs the
# calling script again as UNPRIVILEGED_USER and exits with its status. In that second run it returns at once.
#   build_then_run_unprivileged "$0" "$@"
build_then_run_unprivileged() {
    [ -z "${BOOKCAT_BUILT_FOR_UNPRIVILEGED:-}" ] || return 0
    local log
    log=$(mktemp)
    swift_build --product bookcat >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
    rm -f "$log"
    local status=0
    BOOKCAT_BUILT_FOR_UNPRIVILEGED=1 as_unprivileged "$@" || status=$?
    exit "$status"
}

# Stops whatever UNPRIVILEGED_USER still runs, and says so. A clean run leaves nothing, but a test process that
# crashes cannot stop the redis-server processes it started, and they would outlive the run.
stop_unprivileged_leftovers() {
    [ "$(id -u)" -eq 0 ] || return 0
    local leftovers
    local pid
    leftovers=""
    # Zombies are not running: they wait for a PID 1 that does not reap (a job container) and cannot be killed.
    for pid in $(pgrep -u "$UNPRIVILEGED_USER" 2>/dev/null || true); do
        is_zombie "$pid" || leftovers+="${leftovers:+ }$pid"
    done
    [ -n "$leftovers" ] || return 0
    echo "==> stopping what the checks left running as $UNPRIVILEGED_USER (pids $leftovers)" >&2
    # shellcheck disable=SC2086  # one pid per word
    kill -KILL $leftovers 2>/dev/null || true
}
