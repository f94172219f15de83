#!/usr/bin/env bash
# Builds the image from the Dockerfile and boots docker-compose.yml for real, then checks it the way a user would:
# the README walkthrough through the published port (X-Cache: MISS then HIT, health "cache": "ok"), Redis stopped
# (the api turns unhealthy, health "degraded") and started again (healthy again), then `down` and `up` again with
# the data still in the volume. Everything it starts is removed at the end, also on failure.
#
# The engine: Docker with Compose v2 where a Docker engine answers (GitHub's hosted runners: the workflow's `stack`
# job), podman otherwise (Debian's package, no Docker engine), with docker-compose over podman's Docker-compatible
# socket. STACK_ENGINE=docker|podman chooses. Under podman, where the official base images cannot be pulled, it
# builds local stand-ins once (scripts/stack/standins.sh); only build arguments change, the Dockerfile's defaults
# stay the official images. STACK_IMAGE=NAME checks an image built elsewhere instead of building one.
#
# A machine that cannot start containers (a CI job's container, a user without root or Docker) says SKIPPED.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source scripts/stack/standins.sh

project=bookcat-stack-check
started=$SECONDS
say() { echo "stack: $*"; }

engine=${STACK_ENGINE:-}
if [ -z "$engine" ]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
        engine=docker
    else
        engine=podman
    fi
fi
case $engine in
docker | podman) ;;
*) say "STACK_ENGINE must be docker or podman, not '$engine'"; exit 2 ;;
esac

if [ "$engine" = podman ]; then
    if [ "$(id -u)" -ne 0 ]; then
        say "SKIPPED: no Docker engine answers, and podman needs root for its rootful storage and networks; run scripts/test.sh as root or with sudo"
        exit 0
    fi
    # Checked before installing anything: a job's container has neither an engine nor the rights podman needs.
    if in_container && ! command -v podman >/dev/null; then
        say "SKIPPED: this machine is a container without a container engine (the workflow's stack job runs this on the runner itself)"
        exit 0
    fi
    # The dnsname plugin lets containers on a compose network find each other by service name (podman 4 with CNI).
    ensure_apt_packages podman runc debootstrap docker-compose uidmap python3 golang-github-containernetworking-plugin-dnsname
    export CONTAINERS_CONF=$PWD/scripts/stack/containers.conf
fi

work=$(mktemp -d)
service_pid=""
api=""
stack_started=""
image=${STACK_IMAGE:-bookcat:local}
ctr() { "$engine" "$@"; }
compose() {
    local files=(--project-name "$project" --project-directory "$work" -f "$work/docker-compose.yml")
    if [ "$engine" = podman ]; then
        DOCKER_HOST="unix://$work/podman.sock" docker-compose "${files[@]}" "$@"
    elif docker compose version >/dev/null 2>&1; then
        docker compose "${files[@]}" "$@"
    else
        docker-compose "${files[@]}" "$@"
    fi
}
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$api" ]; then
        echo "--- api container log (last 40 lines)" >&2
        ctr logs --tail 40 "$api" >&2 || true
    fi
    if [ -n "$stack_started" ]; then
        compose down --volumes --remove-orphans >/dev/null 2>&1 || true
    fi
    if [ -n "$service_pid" ]; then
        kill "$service_pid" 2>/dev/null || true
        wait "$service_pid" 2>/dev/null || true
    fi
    # Whatever compose left behind, by the project's label.
    ctr ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r "$engine" rm -f >/dev/null 2>&1 || true
    ctr volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r "$engine" volume rm -f >/dev/null 2>&1 || true
    ctr network ls -q --filter "label=com.docker.compose.project=$project" | xargs -r "$engine" network rm >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

if [ "$engine" = podman ]; then podman_ready_or_skip; fi

# --- the image, from the repository's Dockerfile --------------------------------------------------------------

if [ -n "${STACK_IMAGE:-}" ]; then
    say "checking $image, built elsewhere"
elif [ "$engine" = docker ]; then
    say "building $image from the Dockerfile with Docker"
    # BuildKit: the Dockerfile's RUN --mount caches need it (Docker 23+ uses it by default).
    DOCKER_BUILDKIT=1 docker build -t "$image" . >"$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; exit 1; }
else
    ensure_standin_images "$work"
    say "base images ready ($((SECONDS - started)) s)"
    # SwiftPM inside the build resolves packages as it does on this machine: through the git configuration and the
    # package mirror, when the machine has them.
    mapfile -t build_volumes < <(host_source_volumes)
    image=localhost/bookcat:local
    say "building $image from the Dockerfile with podman"
    podman build --format docker --network host "${build_volumes[@]}" \
        --build-arg "BUILD_IMAGE=$STANDIN_BUILDER" --build-arg "RUNTIME_IMAGE=$STANDIN_DEBIAN" \
        -t "$image" . >"$work/build.log" 2>&1 || { tail -n 60 "$work/build.log" >&2; exit 1; }
fi
[ "$(ctr image inspect --format '{{.Config.User}}' "$image")" = "10001" ] ||
    { say "the image does not run as the unprivileged user 10001"; exit 1; }
ctr image inspect --format '{{json .Config.Healthcheck}}' "$image" | grep -q '"bookcat","healthcheck"' ||
    { say "the image lost its HEALTHCHECK"; exit 1; }
say "image ready ($((SECONDS - started)) s)"

# --- the compose stack ----------------------------------------------------------------------------------------

if [ "$engine" = podman ]; then
    podman system service --time=0 "unix://$work/podman.sock" >"$work/podman-service.log" 2>&1 &
    service_pid=$!
    for _ in $(seq 1 50); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done
    export REDIS_IMAGE=$STANDIN_REDIS
fi

port=$(free_port)
cp docker-compose.yml "$work/"
# The documented set-up: .env from .env.example, with a real secret.
sed "s|^JWT_SECRET_KEY=.*|JWT_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')|" .env.example >"$work/.env"
export BOOKCAT_PORT=$port BOOKCAT_IMAGE=$image

# Docker runs the containers' health checks itself; podman schedules them with systemd timers, which this machine
# may not have, so under podman this script runs them.
run_health_check() { [ "$engine" = docker ] || podman healthcheck run "$1" >/dev/null 2>&1 || true; }
service_container() { ctr ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$1"; }

# Waits until `api` is healthy, for at most the given seconds, driving the health checks under podman. Compose
# waits for Redis to be healthy before it starts `api`, so this runs while `up` does.
drive_health() {
    local deadline=$((SECONDS + $1)) name
    while [ "$SECONDS" -lt "$deadline" ]; do
        for name in $(ctr ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}}'); do
            run_health_check "$name"
        done
        api=$(service_container api)
        if [ -n "$api" ] && [ "$(ctr inspect --format '{{.State.Health.Status}}' "$api")" = "healthy" ]; then
            return 0
        fi
        sleep 1
    done
    say "api did not become healthy within $1 s"
    return 1
}

stack_up() {
    stack_started=1
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
[ "$(ctr exec "$api" id -u)" = "10001" ] || { say "the api container does not run as 10001"; exit 1; }

say "README walkthrough through the published port"
BOOKCAT_URL="http://127.0.0.1:$port" BOOKCAT_CLI="$engine exec -i $api bookcat" scripts/checks/check-walkthrough.sh

say "/docs from the image: Swagger UI's files are the vendored ones (the resource bundle beside the binary)"
for asset in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png; do
    served=$(curl -sS --fail-with-body "http://127.0.0.1:$port/docs/$asset" | sha256sum | cut -d' ' -f1)
    vendored=$(sha256sum "Sources/BookcatHTTP/Resources/swagger-ui/$asset" | cut -d' ' -f1)
    [ "$served" = "$vendored" ] || { say "the image serves a different /docs/$asset"; exit 1; }
done
if command -v chromium >/dev/null; then
    BOOKCAT_URL="http://127.0.0.1:$port" scripts/checks/check-docs-browser.sh
else
    say "/docs in a browser: SKIPPED here (no chromium); the files above are the ones it renders"
fi

say "Redis stopped: the api must turn unhealthy (degraded is not ready), and healthy again when Redis is back"
redis=$(service_container redis)
ctr stop --time 2 "$redis" >/dev/null
status=""
# Docker's own schedule (compose: every 10 s, 3 failures) takes up to 40 s; podman's is driven here, at once.
for _ in $(seq 1 60); do
    run_health_check "$api"
    status=$(ctr inspect --format '{{.State.Health.Status}}' "$api")
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
    ctr logs "$api" 2>&1 | grep -q "Redis is unreachable" && break
    sleep 1
done
ctr logs "$api" 2>&1 | grep -q "Redis is unreachable" || { say "the api did not warn that Redis is unreachable"; exit 1; }
ctr start "$redis" >/dev/null
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
say "passed ($engine): image built, stack healthy with the cache, walkthrough answered, unhealthy without Redis and healthy again, data survived down/up ($((SECONDS - started)) s)"
