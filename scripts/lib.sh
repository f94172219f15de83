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

# What the service needs to build, plus jq for the README walkthrough.
# shellcheck disable=SC2034  # used by the scripts that source this file
readonly BUILD_PACKAGES=(libsqlite3-dev jq curl)

# Prints a free TCP port on the loopback interface.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
