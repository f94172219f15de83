#!/usr/bin/env bash
# Behaviour tests for scripts/deploy/deploy.sh and scripts/deploy/health-checker.sh, with fake `docker` and `aws` first on PATH
# that record every call and answer as each scenario scripts them. No Docker engine or AWS account is involved.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tests/fakes.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/aws-bin" "$work/helper-bin"
registry=123456789012.dkr.ecr.eu-west-1.amazonaws.com
secret="fake-registry-password-do-not-print"

cat >"$work/aws-bin/aws" <<FAKE
#!/usr/bin/env bash
echo "aws \$*" >>"\$FAKE_LOG"
[ "\$1 \$2" = "ecr get-login-password" ] && echo "$secret"
exit 0
FAKE
cat >"$work/bin/docker" <<'FAKE'
#!/usr/bin/env bash
# Records the call; BOOKCAT_IMAGE is the image compose would run.
echo "docker $* ${BOOKCAT_IMAGE:+[image=$BOOKCAT_IMAGE]}${BOOKCAT_PORT:+[port=$BOOKCAT_PORT]}" >>"$FAKE_LOG"
case "$1" in
    login) cat >/dev/null; [ "${FAKE_LOGIN_FAILS:-0}" = 1 ] && exit 1; exit 0 ;;
    pull) [ -n "${FAKE_PULL_FAILS:-}" ] && [[ "$2" == *"$FAKE_PULL_FAILS"* ]] && exit 1; exit 0 ;;
    compose)
        [ "${FAKE_NO_COMPOSE_V2:-0}" = 1 ] && { echo "docker: 'compose' is not a docker command." >&2; exit 1; }
        if [[ " $* " == *" ps -q api "* ]]; then echo "container-${BOOKCAT_IMAGE##*:}"; fi
        exit 0 ;;
    inspect)
        container=${*: -1}
        if [ "$container" = "container-${FAKE_UNHEALTHY_TAG:-none}" ]; then echo unhealthy; else echo healthy; fi
        exit 0 ;;
    tag | push) exit 0 ;;
esac
exit 0
FAKE
# Compose v1, a program of its own; FAKE_NO_COMPOSE_V1 makes it as absent as it can be with a real one on PATH.
cat >"$work/bin/docker-compose" <<'FAKE'
#!/usr/bin/env bash
echo "docker-compose $* ${BOOKCAT_IMAGE:+[image=$BOOKCAT_IMAGE]}" >>"$FAKE_LOG"
[ "${FAKE_NO_COMPOSE_V1:-0}" = 1 ] && { echo "docker-compose: command not found" >&2; exit 127; }
if [[ " $* " == *" ps -q api "* ]]; then echo "container-${BOOKCAT_IMAGE##*:}"; fi
exit 0
FAKE
# The ECR credential helper that user_data installs; deploy.sh only needs to find it.
cat >"$work/helper-bin/docker-credential-ecr-login" <<'FAKE'
#!/bin/sh
echo "docker-credential-ecr-login $*" >>"$FAKE_LOG"
FAKE
chmod +x "$work/aws-bin/aws" "$work/bin/docker" "$work/bin/docker-compose" "$work/helper-bin/docker-credential-ecr-login"

scenario() {
    local name=$1
    shift
    rm -rf "$work/deploy" && mkdir -p "$work/deploy"
    cp scripts/deploy/docker-compose.yml "$work/deploy/"
    [ "${NO_ENV:-0}" = 1 ] || echo "JWT_SECRET_KEY=x" >"$work/deploy/.env"
    [ -z "${INSTANCE_ENV:-}" ] || echo "$INSTANCE_ENV" >"$work/deploy/instance.env"
    : >"$work/calls.log"
    # The system folders only, so a real aws CLI elsewhere on this machine cannot stand in for the fake.
    local path="$work/bin:/usr/bin:/bin"
    [ "${NO_AWS:-0}" = 1 ] || path="$work/aws-bin:$path"
    [ "${WITH_HELPER:-0}" = 1 ] && path="$work/helper-bin:$path"
    set +e
    env PATH="$path" FAKE_LOG="$work/calls.log" REGISTRY=$registry IMAGE_TAG=abc123 DEPLOY_DIR="$work/deploy" \
        HEALTH_TIMEOUT=5 HEALTH_INTERVAL=0.1 "$@" scripts/deploy/deploy.sh >"$work/out.log" 2>&1
    status=$?
    set -e
    if grep -q "$secret" "$work/out.log"; then check "$name: never prints the registry password" false; fi
}

scenario "healthy deploy"
check "healthy deploy exits 0" [ "$status" -eq 0 ]
check "healthy deploy starts the new image" called "up -d --remove-orphans [image=$registry/bookcat:abc123]"
check "healthy deploy uses the compose v2 plugin where it exists" called "docker compose --project-name bookcat"
check "healthy deploy does not also run compose v1" not_called "docker-compose --project-name"
check "healthy deploy pushes nothing: the host's role only pulls" not_called "docker push"
check "healthy deploy logs in with the password on stdin" called "docker login --username AWS --password-stdin $registry"
check "healthy deploy prunes images no container uses, after promoting" called "docker image prune --all --force"

scenario "unhealthy deploy" FAKE_UNHEALTHY_TAG=abc123
check "unhealthy deploy exits 3 (rolled back)" [ "$status" -eq 3 ]
check "unhealthy deploy brings stable back" called "up -d --remove-orphans [image=$registry/bookcat:stable]"
check "unhealthy deploy does not promote the failed image" not_called "docker push $registry/bookcat:stable"
check "unhealthy deploy says it rolled back" grep -q "ROLLING BACK" "$work/out.log"
check "unhealthy deploy prunes nothing" not_called "docker image prune"

WITH_HELPER=1 NO_AWS=1 scenario "instance with the ECR credential helper and no aws CLI"
check "the credential helper is enough to deploy" [ "$status" -eq 0 ]
check "with the helper there is no docker login" not_called "docker login"
check "with the helper the stack starts the new image" called "up -d --remove-orphans [image=$registry/bookcat:abc123]"

NO_AWS=1 scenario "neither the credential helper nor the aws CLI"
check "without any registry credentials the deploy exits non-zero" [ "$status" -ne 0 ]
check "without any registry credentials nothing is pulled" not_called "docker pull"
check "without any registry credentials it says why" grep -q "neither docker-credential-ecr-login nor the aws CLI" "$work/out.log"

INSTANCE_ENV="BOOKCAT_PORT=9000" scenario "the instance's published port"
check "instance.env's port reaches compose" called "up -d --remove-orphans [image=$registry/bookcat:abc123][port=9000]"

# The SSM command text exactly as the workflow sends it, run the way the SSM agent runs it: with sh, which is dash
# on Ubuntu. It writes this commit's scripts into the deploy folder and runs deploy.sh there.
rm -rf "$work/deploy" && mkdir -p "$work/deploy"
echo "JWT_SECRET_KEY=x" >"$work/deploy/.env"
: >"$work/calls.log"
scripts/deploy/ssm-deploy-commands.sh "$registry" abc123 eu-west-1 bookcat "$work/deploy" | jq -r '.[]' >"$work/ssm-script.sh"
set +e
env PATH="$work/aws-bin:$work/bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" HEALTH_TIMEOUT=5 HEALTH_INTERVAL=0.1 \
    dash "$work/ssm-script.sh" >"$work/out.log" 2>&1
status=$?
set -e
check "the SSM command runs under dash" [ "$status" -eq 0 ]
check "the SSM command writes an executable deploy.sh" [ -x "$work/deploy/deploy.sh" ]
check "the SSM command ships this commit's deploy.sh" cmp -s scripts/deploy/deploy.sh "$work/deploy/deploy.sh"
check "the SSM command ships this commit's compose file" cmp -s scripts/deploy/docker-compose.yml "$work/deploy/docker-compose.yml"
check "the SSM command deploys the tag" called "up -d --remove-orphans [image=$registry/bookcat:abc123]"

NO_ENV=1 scenario "missing .env"
check "missing .env exits non-zero" [ "$status" -ne 0 ]
check "missing .env touches no container" not_called "docker"
check "missing .env says what to do" grep -q "create it from .env.example" "$work/out.log"

scenario "registry login fails" FAKE_LOGIN_FAILS=1
check "login failure exits non-zero" [ "$status" -ne 0 ]
check "login failure pulls nothing" not_called "docker pull"
check "login failure changes no container" not_called "--project-name"

scenario "pull fails" FAKE_PULL_FAILS=abc123
check "pull failure exits non-zero" [ "$status" -ne 0 ]
check "pull failure changes no container" not_called "--project-name"
check "pull failure promotes nothing" not_called "docker push"

scenario "only compose v1 installed" FAKE_NO_COMPOSE_V2=1
check "a v1-only host deploys" [ "$status" -eq 0 ]
check "a v1-only host runs docker-compose" called "docker-compose --project-name bookcat"
check "a v1-only host starts the new image" called "up -d --remove-orphans [image=$registry/bookcat:abc123]"
check "a v1-only host never calls the missing plugin for the stack" not_called "docker compose --project-name"

scenario "only compose v1, unhealthy" FAKE_NO_COMPOSE_V2=1 FAKE_UNHEALTHY_TAG=abc123
check "a v1-only host rolls back too" [ "$status" -eq 3 ]
check "a v1-only host brings stable back with docker-compose" called "[image=$registry/bookcat:stable]"

scenario "no compose at all" FAKE_NO_COMPOSE_V2=1 FAKE_NO_COMPOSE_V1=1
check "without compose the deploy exits non-zero" [ "$status" -ne 0 ]
check "without compose nothing is pulled" not_called "docker pull"
check "without compose it says what to install" grep -q "neither 'docker compose' (v2) nor 'docker-compose' (v1)" "$work/out.log"

scenario "deploying the same tag again"
check "a repeated deploy succeeds the same way" [ "$status" -eq 0 ]

# promote-stable.sh, as the workflow runs it with the deploy role: `stable` moves in the registry, by manifest.
cat >"$work/aws-bin/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >>"$FAKE_LOG"
case "$1 $2" in
    "ecr batch-get-image") [ "${FAKE_NO_IMAGE:-0}" = 1 ] && { echo '{"images": [], "failures": [{"failureCode": "ImageNotFound"}]}'; exit 0; }
        echo '{"images": [{"imageManifest": "{\"schemaVersion\": 2, \"layers\": []}", "imageManifestMediaType": "application/vnd.oci.image.index.v1+json"}]}' ;;
    "ecr put-image") [ "${FAKE_ALREADY_STABLE:-0}" = 1 ] && {
        echo "An error occurred (ImageAlreadyExistsException) when calling the PutImage operation: already tagged" >&2; exit 254; }
        [ "${FAKE_PUT_FAILS:-0}" = 1 ] && { echo "An error occurred (AccessDeniedException)" >&2; exit 254; } ;;
esac
exit 0
FAKE
promote() {
    : >"$work/calls.log"
    set +e
    env PATH="$work/aws-bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" "$@" scripts/deploy/promote-stable.sh bookcat abc123 >"$work/out.log" 2>&1
    status=$?
    set -e
}
promote
check "promotion succeeds" [ "$status" -eq 0 ]
check "promotion reads the deployed tag's manifest" called "aws ecr batch-get-image --repository-name bookcat --image-ids imageTag=abc123"
check "promotion puts that manifest under stable" called 'aws ecr put-image --repository-name bookcat --image-tag stable --image-manifest {"schemaVersion": 2, "layers": []}'
check "promotion keeps an OCI index's media type" called "--image-manifest-media-type application/vnd.oci.image.index.v1+json"
promote FAKE_ALREADY_STABLE=1
check "stable already on that image is success" [ "$status" -eq 0 ]
promote FAKE_PUT_FAILS=1
check "a refused put fails the promotion" [ "$status" -eq 1 ]
check "and says why" grep -q "AccessDeniedException" "$work/out.log"
promote FAKE_NO_IMAGE=1
check "a tag the registry lacks fails before any put" [ "$status" -eq 1 ]
check "without touching stable" not_called "put-image"

# health-checker.sh on its own: a container that never turns healthy hits the deadline.
cat >"$work/bin/docker" <<'FAKE'
#!/usr/bin/env bash
echo starting
FAKE
set +e
PATH="$work/bin:$PATH" HEALTH_INTERVAL=0.1 scripts/deploy/health-checker.sh some-container 1 >"$work/out.log" 2>&1
status=$?
set -e
: >"$work/calls.log"
check "health-checker gives up at its deadline" [ "$status" -eq 1 ]
check "health-checker says why" grep -q "after 1s" "$work/out.log"

report deploy
