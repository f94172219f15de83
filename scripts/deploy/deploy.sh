#!/usr/bin/env bash
# Deploys one image, named by digest, to this host, and brings back the release that was healthy before when it fails.
#
#   IMAGE=123456789012.dkr.ecr.eu-west-1.amazonaws.com/bookcat@sha256:<64 hex digits> scripts/deploy/deploy.sh
#
# Only a digest reference is accepted: a tag can be moved between the green check and the pull, a digest cannot, so
# what runs is exactly the image the deployment workflow built from a commit whose checks passed.
#
# Compose: the v2 plugin (`docker compose`) where it is installed, otherwise v1 (`docker-compose`).
#
# Settings (environment): IMAGE (required), AWS_REGION (from the registry's name), DEPLOY_DIR (/opt/bookcat: holds
# .env and docker-compose.yml), HEALTH_TIMEOUT (120). DEPLOY_DIR/instance.env, written by the instance's user_data
# from Terraform's variables, sets what the compose file takes from the host (BOOKCAT_PORT, DATA_DIR).
#
# Registry credentials: the ECR credential helper (docker-credential-ecr-login, which user_data installs and
# configures for the registry) when present, otherwise `aws ecr get-login-password` piped to `docker login`.
#
# The release to roll back to is DEPLOY_DIR/healthy-image, the digest reference written after each healthy deploy:
# a file, not the running container, which may be one that never turned healthy (a deploy cut short). On a host last
# deployed by tag, before that file existed, or when the file holds no digest reference, it is the digest the running
# api container's image was pulled by.
#
# Exit status:
#   0  deployed and healthy; the workflow then moves `stable` to the digest (scripts/deploy/promote-stable.sh, with
#      the deploy role: this host's role only pulls).
#   1  refused or failed before any container was touched (not a digest, no .env, registry or pull failure).
#   3  not healthy: rolled back to the previous release, which is healthy again.
#   4  not healthy, and the host could not be brought back to a healthy release: someone must look at it.
#   5  not healthy, and there was no previous release (a first deploy): the failed release is stopped.
# Safe to run again with the same image. Never prints secrets: the registry password goes through stdin only.
set -euo pipefail

image=${IMAGE:?set IMAGE to REGISTRY/REPOSITORY@sha256:<digest>}
deploy_dir=${DEPLOY_DIR:-/opt/bookcat}
health_timeout=${HEALTH_TIMEOUT:-120}
here=$(cd "$(dirname "$0")" && pwd)
compose_file="$deploy_dir/docker-compose.yml"
release_file="$deploy_dir/healthy-image"

say() { echo "deploy: $*"; }
# fail MESSAGE [STATUS]
fail() { echo "deploy: $1" >&2; exit "${2:-1}"; }
is_digest_reference() { [[ "$1" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$ ]]; }

is_digest_reference "$image" ||
    fail "IMAGE must name the image by digest (REGISTRY/REPOSITORY@sha256:<64 hex digits>), not '$image'; nothing was changed"
registry=${image%%/*}
name=${image%@*} # REGISTRY/REPOSITORY
region=${AWS_REGION:-$(echo "$registry" | cut -d. -f4)}

[ -f "$deploy_dir/.env" ] || fail "no $deploy_dir/.env: create it from .env.example first; nothing was changed"
[ -f "$compose_file" ] || fail "no $compose_file: copy scripts/deploy/docker-compose.yml there first; nothing was changed"

if docker compose version >/dev/null 2>&1; then
    compose_command=(docker compose)
elif docker-compose version >/dev/null 2>&1; then
    compose_command=(docker-compose)
else
    fail "neither 'docker compose' (v2) nor 'docker-compose' (v1) works here; install one; nothing was changed"
fi

if [ -f "$deploy_dir/instance.env" ]; then
    set -a
    # shellcheck disable=SC1091  # written on the instance by user_data
    . "$deploy_dir/instance.env"
    set +a
fi

if command -v docker-credential-ecr-login >/dev/null 2>&1; then
    say "registry credentials come from docker-credential-ecr-login (the instance role)"
elif command -v aws >/dev/null 2>&1; then
    say "logging in to $registry"
    aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry" >/dev/null ||
        fail "registry login failed; nothing was changed"
else
    fail "neither docker-credential-ecr-login nor the aws CLI is installed, so $registry cannot be reached; nothing was changed"
fi

say "pulling $image"
docker pull "$image" >/dev/null || fail "could not pull $image; nothing was changed"

compose() { BOOKCAT_IMAGE=$1 "${compose_command[@]}" --project-name bookcat --project-directory "$deploy_dir" -f "$compose_file" "${@:2}"; }

start() {
    compose "$1" up -d --remove-orphans >/dev/null || return 1
    local container
    container=$(compose "$1" ps -q api) || return 1
    [ -n "$container" ] || return 1
    "$here/health-checker.sh" "$container" "$health_timeout"
}

previous_release() {
    local recorded container image_id
    if [ -f "$release_file" ]; then
        recorded=$(cat "$release_file" 2>/dev/null) || recorded=""
        if is_digest_reference "$recorded"; then
            echo "$recorded"
            return 0
        fi
        # Not a digest reference (edited by hand, a cut-short write): the running container's digest, as on a host
        # that never recorded one, rather than nothing, which would stop the release that serves.
        echo "deploy: $release_file does not hold a digest reference; rolling back, if need be, to what runs now" >&2
    fi
    container=$(compose "$image" ps -q api 2>/dev/null) || return 0
    [ -n "$container" ] || return 0
    image_id=$(docker inspect --format '{{.Image}}' "$container" 2>/dev/null) || return 0
    docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image_id" 2>/dev/null |
        awk -v prefix="$name@sha256:" 'index($0, prefix) == 1 { print; exit }' || true
}

record() { printf '%s\n' "$1" >"$release_file.new" && mv -f "$release_file.new" "$release_file"; }

previous=$(previous_release)
say "starting $image"
if start "$image"; then
    say "healthy"
    record "$image" || say "could not write $release_file: a later failed deploy would roll back to an older release"
    # The root volume is small and every deploy pulls a new image: drop the ones no container uses. A rollback pulls
    # the previous digest again, which ECR keeps: it is the one `stable` points at.
    docker image prune --all --force >/dev/null || say "could not prune old images (the deploy itself succeeded)"
    say "deployed $image"
    exit 0
fi

if [ -z "$previous" ]; then
    compose "$image" stop api >/dev/null ||
        fail "$image did not become healthy, there is no previous release to roll back to, and it could not be stopped; look at 'docker ps'" 4
    fail "$image did not become healthy; no previous release to roll back to; the failed release is stopped" 5
fi
echo "deploy: $image did not become healthy; ROLLING BACK to $previous" >&2
docker pull "$previous" >/dev/null || fail "could not pull the previous release $previous; the failed release is still running" 4
start "$previous" || fail "the previous release $previous is not healthy either; look at 'docker logs bookcat-api-1'" 4
record "$previous" || true
fail "rolled back to $previous; $image was not deployed" 3
