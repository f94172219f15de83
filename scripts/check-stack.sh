#!/usr/bin/env bash
# Builds the image from the Dockerfile and boots docker-compose.yml for real, then checks it the way a user would:
# the README walkthrough through the published port (X-Cache: MISS then HIT, health "cache": "ok"), Redis stopped
# (the api turns unhealthy, health "degraded") and started again (healthy again), then `down` and `up` again with
# the data still in the volume. Everything it starts is removed at the end, also on failure.
#
# No Docker engine exists on Debian without Docker's own packages, so this uses podman (Debian's package) and
# docker-compose over podman's Docker-compatible socket. Where the official base images cannot be pulled, it
# builds local stand-ins once and keeps them for later runs: a Debian 12 root filesystem made with debootstrap
# from the machine's own apt mirror, a Swift builder made of that plus this machine's toolchain, and Redis on
# that base. Only build arguments change; the Dockerfile's defaults stay the official images.
#
# A machine that is itself an unprivileged container cannot start containers; there this says so and skips.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

project=bookcat-stack-check
started=$SECONDS
say() { echo "stack: $*"; }

if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: needs root for podman's rootful storage and networks; run scripts/test.sh as root or with sudo"
    exit 0
fi
# The dnsname plugin lets containers on a compose network find each other by service name (podman 4 with CNI).
ensure_apt_packages podman runc debootstrap docker-compose uidmap python3 golang-github-containernetworking-plugin-dnsname

export CONTAINERS_CONF=$PWD/scripts/stack/containers.conf
work=$(mktemp -d)
service_pid=""
api=""
compose() { DOCKER_HOST="unix://$work/podman.sock" docker-compose --project-name "$project" --project-directory "$work" -f "$work/docker-compose.yml" "$@"; }
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$api" ]; then
        echo "--- api container log (last 40 lines)" >&2
        podman logs --tail 40 "$api" >&2 || true
    fi
    if [ -n "$service_pid" ]; then
        compose down --volumes --remove-orphans >/dev/null 2>&1 || true
        kill "$service_pid" 2>/dev/null || true
        wait "$service_pid" 2>/dev/null || true
    fi
    # Whatever compose left behind, by the project's label and names.
    podman ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r podman rm -f >/dev/null 2>&1 || true
    podman volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
    podman network ls -q --filter "label=com.docker.compose.project=$project" | xargs -r podman network rm -f >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

# Inside an unprivileged container, podman can neither mount nor make namespaces: say so instead of failing.
# The probe is an image of /bin/true and the libraries it loads, so it needs no registry and no base image.
probe_image=localhost/bookcat-standin/probe:latest
can_start_containers() {
    if ! podman image exists "$probe_image"; then
        # shellcheck disable=SC2046  # one path per word
        tar -chf - /bin/true $(ldd /bin/true | grep -oE '/[^ ]+') 2>/dev/null | podman import --quiet - "$probe_image" >/dev/null ||
            return 1
    fi
    podman run --rm --network none "$probe_image" /bin/true
}
if ! probe=$(can_start_containers 2>&1); then
    if [ -f /.dockerenv ] || [ -f /run/.containerenv ]; then
        say "SKIPPED: this machine is a container that cannot start containers of its own (podman: ${probe##*$'\n'})"
        exit 0
    fi
    say "podman cannot start a container on this machine:"
    echo "$probe" >&2
    exit 1
fi

# --- base images: the official ones where they can be pulled, local stand-ins otherwise -----------------------

debian_mirror() {
    local uri
    uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -m1 -E 'debian/?( |$)' | grep -oE 'https?://[^ ]+' || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

standin_debian=localhost/bookcat-standin/debian:bookworm
if ! podman image exists "$standin_debian"; then
    say "building $standin_debian with debootstrap (once per machine)"
    mirror=$(debian_mirror)
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { cat "$work/debootstrap.log" >&2; exit 1; }
    rm -f "$work/rootfs/etc/apt/sources.list"
    cat >"$work/rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    chroot "$work/rootfs" apt-get clean
    tar -C "$work/rootfs" -c . | podman import --quiet - "$standin_debian" >/dev/null
    rm -rf "$work/rootfs"
fi

swift_version=$(swift --version 2>/dev/null | grep -oE 'Swift version [0-9.]+' | awk '{print $3}')
standin_builder=localhost/bookcat-standin/swift:$swift_version-bookworm
if ! podman image exists "$standin_builder"; then
    say "building $standin_builder from this machine's toolchain (once per machine and Swift version)"
    toolchain=$(readlink -f "$(command -v swift)")
    toolchain=${toolchain%/usr/bin/*}
    podman build --quiet --network host --build-arg "BASE=$standin_debian" -v "$toolchain:/host-swift:ro" \
        -f scripts/stack/builder.Containerfile -t "$standin_builder" scripts/stack >/dev/null
fi

standin_redis=localhost/bookcat-standin/redis:bookworm
if ! podman image exists "$standin_redis"; then
    say "building $standin_redis (once per machine)"
    podman build --quiet --network host --build-arg "BASE=$standin_debian" \
        -f scripts/stack/redis.Containerfile -t "$standin_redis" scripts/stack >/dev/null
fi
say "base images ready ($((SECONDS - started)) s)"

# --- the image, from the repository's Dockerfile --------------------------------------------------------------

# SwiftPM inside the build resolves packages as it does on this machine: through the git configuration and the
# package mirror, when the machine has them.
build_volumes=()
[ -f /etc/gitconfig ] && build_volumes+=(-v /etc/gitconfig:/etc/gitconfig:ro)
[ -d /opt/swift-packages ] && build_volumes+=(-v /opt/swift-packages:/opt/swift-packages:ro)
say "building bookcat:local from the Dockerfile"
podman build --format docker --network host "${build_volumes[@]}" \
    --build-arg "BUILD_IMAGE=$standin_builder" --build-arg "RUNTIME_IMAGE=$standin_debian" \
    -t localhost/bookcat:local . >"$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; exit 1; }
[ "$(podman image inspect --format '{{.Config.User}}' localhost/bookcat:local)" = "10001" ] ||
    { say "the image does not run as the unprivileged user 10001"; exit 1; }
podman image inspect --format '{{json .Config.Healthcheck}}' localhost/bookcat:local | grep -q '"bookcat","healthcheck"' ||
    { say "the image lost its HEALTHCHECK"; exit 1; }
say "image built ($((SECONDS - started)) s)"

# --- the compose stack ----------------------------------------------------------------------------------------

podman system service --time=0 "unix://$work/podman.sock" >"$work/podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 50); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done

port=$(free_port)
cp docker-compose.yml "$work/"
# The documented set-up: .env from .env.example, with a real secret.
sed "s|^JWT_SECRET_KEY=.*|JWT_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')|" .env.example >"$work/.env"
export BOOKCAT_PORT=$port REDIS_IMAGE=$standin_redis

# Drives the containers' health checks (podman schedules them with systemd timers, which this machine may not
# have) until `api` is healthy, for at most the given seconds. docker-compose waits for Redis to be healthy
# before it starts `api`, so this runs while `up` does.
drive_health() {
    local deadline=$((SECONDS + $1)) name
    while [ "$SECONDS" -lt "$deadline" ]; do
        for name in $(podman ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}}'); do
            podman healthcheck run "$name" >/dev/null 2>&1 || true
        done
        api=$(podman ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=api")
        if [ -n "$api" ] && [ "$(podman inspect --format '{{.State.Health.Status}}' "$api")" = "healthy" ]; then
            return 0
        fi
        sleep 1
    done
    say "api did not become healthy within $1 s"
    return 1
}

stack_up() {
    compose up -d --no-build >"$work/up.log" 2>&1 &
    local up_pid=$!
    drive_health 180 || { kill "$up_pid" 2>/dev/null || true; cat "$work/up.log" >&2; return 1; }
    wait "$up_pid" || { cat "$work/up.log" >&2; return 1; }
}

say "compose up"
stack_up
say "healthy ($((SECONDS - started)) s)"
health=$(curl -sS --fail-with-body "http://127.0.0.1:$port/api/v1/common/health-check")
echo "$health" | jq -e '.status == "ok" and .cache == "ok"' >/dev/null || { say "unexpected health: $health"; exit 1; }
[ "$(podman exec "$api" id -u)" = "10001" ] || { say "the api container does not run as 10001"; exit 1; }

say "README walkthrough through the published port"
BOOKCAT_URL="http://127.0.0.1:$port" BOOKCAT_CLI="podman exec -i $api bookcat" scripts/check-walkthrough.sh

say "Redis stopped: the api must turn unhealthy (degraded is not ready), and healthy again when Redis is back"
redis=$(podman ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=redis")
podman stop --time 2 "$redis" >/dev/null
status=""
for _ in $(seq 1 20); do
    podman healthcheck run "$api" >/dev/null 2>&1 || true
    status=$(podman inspect --format '{{.State.Health.Status}}' "$api")
    [ "$status" = "unhealthy" ] && break
    sleep 1
done
[ "$status" = "unhealthy" ] || { say "the api stayed '$status' with Redis stopped"; exit 1; }
health=$(curl -sS --fail-with-body "http://127.0.0.1:$port/api/v1/common/health-check")
# The cause with Redis's address goes to the log (checked below), not to anonymous callers.
echo "$health" | jq -e '.status == "degraded" and .cache == "unavailable" and (tostring | contains("redis:6379") | not)' >/dev/null ||
    { say "expected a degraded health that does not name redis:6379 with Redis stopped, got $health"; exit 1; }
# The monitor checks a healthy Redis every 15 s, so the warning may take that long.
for _ in $(seq 1 40); do
    podman logs "$api" 2>&1 | grep -q "Redis is unreachable" && break
    sleep 1
done
podman logs "$api" 2>&1 | grep -q "Redis is unreachable" || { say "the api did not warn that Redis is unreachable"; exit 1; }
podman start "$redis" >/dev/null
drive_health 120

say "down and up again: the catalog must survive in the volume"
compose down >/dev/null 2>&1
api=""
stack_up
token=$(curl -sS --fail-with-body -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "admin@example.org", "password": "admin password 1"}' | jq -r .access_token)
listing=$(curl -sS --fail-with-body "http://127.0.0.1:$port/api/v1/books?title=dune" -H "Authorization: Bearer $token")
echo "$listing" | jq -e '.count == 1 and .results[0].title == "Dune" and .results[0].stock == 10' >/dev/null ||
    { say "the walkthrough's book did not survive down/up: $listing"; exit 1; }
say "passed: image built, stack healthy with the cache, walkthrough answered, unhealthy without Redis and healthy again, data survived down/up ($((SECONDS - started)) s)"
