#!/usr/bin/env bash
# Deploys one image tag to this host, and brings back `stable` (the last image that was healthy) when it fails.
#
#   REGISTRY=123456789012.dkr.ecr.eu-west-1.amazonaws.com IMAGE_TAG=<commit sha> scripts/deploy/deploy.sh
#
# Compose: the v2 plugin (`docker compose`) where it is installed, otherwise v1 (`docker-compose`).
#
# Settings (environment): REGISTRY (required), IMAGE_TAG (required), IMAGE_REPOSITORY (bookcat), AWS_REGION
# (from the registry's name), DEPLOY_DIR (/opt/bookcat: holds .env and docker-compose.yml), HEALTH_TIMEOUT (120).
# DEPLOY_DIR/instance.env, written by the instance's user_data from Terraform's variables, sets what the compose file
# takes from the host (BOOKCAT_PORT, DATA_DIR).
#
# Registry credentials: the ECR credential helper (docker-credential-ecr-login, which user_data installs and
# configures for the registry) when present, otherwise `aws ecr get-login-password` piped to `docker login`.
#
# Steps: check .env exists, log in to the registry, pull the image, bring the stack up on it, wait for health.
# Healthy: prune images no container uses, exit 0; the deployment workflow then moves `stable` to it with the deploy
# role (scripts/deploy/promote-stable.sh): this host's role only pulls. Unhealthy: bring `stable` back, exit 3 ("rolled
# back").
# Any failure before the stack is touched (missing .env, registry or pull failure) exits non-zero and changes nothing.
# Safe to run again with the same tag. Never prints secrets: the registry password goes through stdin only.
set -euo pipefail

registry=${REGISTRY:?set REGISTRY, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com}
tag=${IMAGE_TAG:?set IMAGE_TAG to the image tag to deploy (the commit SHA)}
repository=${IMAGE_REPOSITORY:-bookcat}
region=${AWS_REGION:-$(echo "$registry" | cut -d. -f4)}
deploy_dir=${DEPLOY_DIR:-/opt/bookcat}
health_timeout=${HEALTH_TIMEOUT:-120}
here=$(cd "$(dirname "$0")" && pwd)

image="$registry/$repository:$tag"
stable="$registry/$repository:stable"
compose_file="$deploy_dir/docker-compose.yml"

say() { echo "deploy: $*"; }
fail() { echo "deploy: $*" >&2; exit "${2:-1}"; }

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

say "starting $image"
if start "$image"; then
    say "healthy"
    # The root volume is small and every deploy pulls a new image: drop the ones no container uses. `stable` is
    # pulled again by a rollback, so nothing needed is lost.
    docker image prune --all --force >/dev/null || say "could not prune old images (the deploy itself succeeded)"
    say "deployed $tag"
    exit 0
fi

echo "deploy: $image did not become healthy; ROLLING BACK to $stable" >&2
docker pull "$stable" >/dev/null || fail "no stable image to roll back to; the stack runs the failed image" 4
if start "$stable"; then
    fail "rolled back to stable; $tag was not deployed" 3
fi
fail "rollback to stable is not healthy either; look at 'docker logs bookcat-api-1'" 4
