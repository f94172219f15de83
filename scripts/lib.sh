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
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What the service needs to build and run with its cache, plus jq and curl for the README walkthrough.
# shellcheck disable=SC2034  # used by the scripts that source this file
readonly BUILD_PACKAGES=(libsqlite3-dev libhiredis-dev redis-server jq curl)

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
        [ "$attempt" -eq 50 ] && { echo "redis-server did not start on port $port" >&2; return 1; }
        sleep 0.1
    done
    echo "$pid"
}
