#!/usr/bin/env bash
# Behaviour tests for scripts/deploy/deploy.sh and scripts/deploy/health-checker.sh, with fake `docker` and `aws` first on PATH
# that record every call and answer as each scenario scripts them. No Docker engine or AWS account is involved.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tests/fakes.sh
make_work
mkdir -p "$work/aws-bin" "$work/helper-bin"
registry=123456789012.dkr.ecr.eu-west-1.amazonaws.com
secret="fake-registry-password-do-not-print"

cat >"$work/aws-bin/aws" <<FAKE
#!/usr/bin/env bash
echo "aws \$*" >>"\$FAKE_LOG"
[ "\$1 \$2" = "ecr get-login-password" ] && echo "$secret"
exit 0
FAKE
# Images by digest: the release deployed now, and the one that was healthy before it.
new_digest=sha256:$(printf '%064x' 1)
old_digest=sha256:$(printf '%064x' 2)
new_image=$registry/bookcat@$new_digest
old_image=$registry/bookcat@$old_digest
cat >"$work/bin/docker" <<'FAKE'
#!/usr/bin/env bash
# Records the call; BOOKCAT_IMAGE is the image compose would run. FAKE_UNHEALTHY lists the digests (hex) or tags whose
# container reports unhealthy; FAKE_REPO_DIGESTS is what `docker image inspect` gives as RepoDigests.
echo "docker $* ${BOOKCAT_IMAGE:+[image=$BOOKCAT_IMAGE]}${BOOKCAT_PORT:+[port=$BOOKCAT_PORT]}" >>"$FAKE_LOG"
case "$1" in
    login) cat >/dev/null; [ "${FAKE_LOGIN_FAILS:-0}" = 1 ] && exit 1; exit 0 ;;
    pull) [ -n "${FAKE_PULL_FAILS:-}" ] && [[ "$2" == *"$FAKE_PULL_FAILS"* ]] && exit 1; exit 0 ;;
    compose)
        [ "${FAKE_NO_COMPOSE_V2:-0}" = 1 ] && { echo "docker: 'compose' is not a docker command." >&2; exit 1; }
        shift
        exec "$(dirname "$0")/fake-compose" "$@" ;;
    inspect)
        container=${*: -1}
        if [[ "$*" == *"{{.Image}}"* ]]; then echo "image-id-of-$container"
        elif [[ " ${FAKE_UNHEALTHY:-} " == *" ${container#container-} "* ]]; then echo unhealthy
        else echo healthy; fi
        exit 0 ;;
    image) [ "$2" = inspect ] && printf '%s\n' ${FAKE_REPO_DIGESTS:-}; exit 0 ;;
    tag | push) exit 0 ;;
esac
exit 0
FAKE
# Compose v1, a program of its own; FAKE_NO_COMPOSE_V1 makes it as absent as it can be with a real one on PATH.
cat >"$work/bin/docker-compose" <<'FAKE'
#!/usr/bin/env bash
echo "docker-compose $* ${BOOKCAT_IMAGE:+[image=$BOOKCAT_IMAGE]}" >>"$FAKE_LOG"
[ "${FAKE_NO_COMPOSE_V1:-0}" = 1 ] && { echo "docker-compose: command not found" >&2; exit 127; }
exec "$(dirname "$0")/fake-compose" "$@"
FAKE
# What both composes do to the api container: $FAKE_STATE/running holds the image it runs, if it runs; its id ends
# with that image's digest (or tag).
cat >"$work/bin/fake-compose" <<'FAKE'
#!/usr/bin/env bash
case " $* " in
    *" up -d "*) echo "$BOOKCAT_IMAGE" >"$FAKE_STATE/running" ;;
    *" stop api "*) rm -f "$FAKE_STATE/running" ;;
    *" ps -q api "*) if [ -f "$FAKE_STATE/running" ]; then running=$(cat "$FAKE_STATE/running"); echo "container-${running##*:}"; fi ;;
esac
exit 0
FAKE
# The ECR credential helper that user_data installs; deploy.sh only needs to find it.
cat >"$work/helper-bin/docker-credential-ecr-login" <<'FAKE'
#!/bin/sh
echo "docker-credential-ecr-login $*" >>"$FAKE_LOG"
FAKE
chmod +x "$work/aws-bin/aws" "$work/bin/docker" "$work/bin/docker-compose" "$work/bin/fake-compose" \
    "$work/helper-bin/docker-credential-ecr-login"

# scenario NAME [NAME=VALUE...]: deploy.sh deploys $new_image on a fresh host. RELEASED: the digest the host recorded
# after its last healthy deploy; RUNNING: the image its api container runs.
scenario() {
    local name=$1
    shift
    rm -rf "$work/deploy" "$work/state" && mkdir -p "$work/deploy" "$work/state"
    cp scripts/deploy/docker-compose.yml "$work/deploy/"
    [ "${NO_ENV:-0}" = 1 ] || echo "JWT_SECRET_KEY=x" >"$work/deploy/.env"
    [ -z "${INSTANCE_ENV:-}" ] || echo "$INSTANCE_ENV" >"$work/deploy/instance.env"
    [ -z "${RELEASED:-}" ] || echo "$RELEASED" >"$work/deploy/healthy-image"
    [ -z "${RUNNING:-}" ] || echo "$RUNNING" >"$work/state/running"
    # The system folders only, so a real aws CLI elsewhere on this machine cannot stand in for the fake.
    local path="$work/bin:/usr/bin:/bin"
    [ "${NO_AWS:-0}" = 1 ] || path="$work/aws-bin:$path"
    [ "${WITH_HELPER:-0}" = 1 ] && path="$work/helper-bin:$path"
    record env PATH="$path" FAKE_LOG="$work/calls.log" FAKE_STATE="$work/state" IMAGE="$new_image" DEPLOY_DIR="$work/deploy" \
        HEALTH_TIMEOUT=5 HEALTH_INTERVAL=0.1 "$@" scripts/deploy/deploy.sh
    if grep -q "$secret" "$work/out.log"; then check "$name: never prints the registry password" false; fi
}
# What the host records as its last healthy release, and what its api container runs ("" for none).
recorded() { [ "$(cat "$work/deploy/healthy-image" 2>/dev/null)" = "$1" ]; }
running() { [ "$(cat "$work/state/running" 2>/dev/null)" = "$1" ]; }
last_words() { [ "$(tail -n 1 "$work/out.log")" = "$1" ]; }

RELEASED=$old_image RUNNING=$old_image scenario "healthy deploy"
check "healthy deploy exits 0" [ "$status" -eq 0 ]
check "healthy deploy pulls the image by digest" called "docker pull $new_image"
check "healthy deploy starts the new image by digest" called "up -d --remove-orphans [image=$new_image]"
check "healthy deploy names no tag: nothing runs a tag" not_called "$registry/bookcat:"
check "healthy deploy records the digest, for the next rollback" recorded "$new_image"
check "healthy deploy uses the compose v2 plugin where it exists" called "docker compose --project-name bookcat"
check "healthy deploy does not also run compose v1" not_called "docker-compose --project-name"
check "healthy deploy pushes nothing: the host's role only pulls" not_called "docker push"
check "healthy deploy logs in with the password on stdin" called "docker login --username AWS --password-stdin $registry"
check "healthy deploy prunes images no container uses" called "docker image prune --all --force"

scenario "first deploy, healthy"
check "a first deploy exits 0" [ "$status" -eq 0 ]
check "a first deploy records its digest" recorded "$new_image"

RELEASED=$old_image RUNNING=$old_image scenario "a later deploy fails" FAKE_UNHEALTHY="${new_digest#sha256:}"
check "a failed later deploy exits 3 (rolled back)" [ "$status" -eq 3 ]
check "it says it rolls back, to the previous digest" grep -qF "ROLLING BACK to $old_image" "$work/out.log"
check "it pulls the previous release by digest" called "docker pull $old_image"
check "it starts the previous release by digest" called "up -d --remove-orphans [image=$old_image]"
check "the previous release runs again" running "$old_image"
check "it runs no tag: not stable, not any" not_called "$registry/bookcat:"
check "the previous release stays recorded" recorded "$old_image"
check "its last words say what happened, without an exit code in them" \
    last_words "deploy: rolled back to $old_image; $new_image was not deployed"
check "a failed deploy promotes nothing" not_called "docker push"
check "a failed deploy prunes nothing" not_called "docker image prune"

scenario "a first deploy fails" FAKE_UNHEALTHY="${new_digest#sha256:}"
check "a failed first deploy exits 5 (nothing to roll back to)" [ "$status" -eq 5 ]
check "it stops the failed release" called "stop api [image=$new_image]"
check "so nothing runs it" running ""
check "it says so, and does not pretend to roll back" \
    last_words "deploy: $new_image did not become healthy; no previous release to roll back to; the failed release is stopped"
check "it prints no ROLLING BACK" not_in_output "ROLLING BACK"
check "it pulls nothing else" not_called "docker pull $registry/bookcat:"
check "it records nothing" recorded ""

# A host last deployed by tag (before deploy.sh recorded digests): the digest its running image was pulled by.
RUNNING=$registry/bookcat:stable scenario "a deploy fails on a host deployed by tag" \
    FAKE_REPO_DIGESTS="$registry/other@sha256:$(printf '%064x' 3) $old_image" FAKE_UNHEALTHY="${new_digest#sha256:}"
check "it rolls back (exit 3)" [ "$status" -eq 3 ]
check "to the digest the running image was pulled by" called "up -d --remove-orphans [image=$old_image]"
check "not to the tag it was started with" not_called "[image=$registry/bookcat:stable]"
check "and records that digest" recorded "$old_image"

# A record that is not a digest reference (a tag written by hand, a truncated write): not trusted, and not taken for
# "no previous release" either, which would stop the serving release: the running container's digest, as above.
for junk in "$registry/bookcat:stable" "${old_image%??}" "not an image"; do
    RELEASED=$junk RUNNING=$old_image scenario "a deploy fails with '$junk' recorded" \
        FAKE_REPO_DIGESTS="$old_image" FAKE_UNHEALTHY="${new_digest#sha256:}"
    check "'$junk' recorded: it rolls back (exit 3), not stops (exit 5)" [ "$status" -eq 3 ]
    check "'$junk' recorded: to the digest the running image was pulled by" called "up -d --remove-orphans [image=$old_image]"
    check "'$junk' recorded: the serving release is not stopped" not_called "stop api"
    check "'$junk' recorded: the digest replaces it" recorded "$old_image"
done

RELEASED=$old_image RUNNING=$old_image scenario "the previous release is not healthy either" \
    FAKE_UNHEALTHY="${new_digest#sha256:} ${old_digest#sha256:}"
check "a failed rollback exits 4" [ "$status" -eq 4 ]
check "and says to look at the host" grep -qF "is not healthy either" "$work/out.log"

for reference in "$registry/bookcat:abc123" "$registry/bookcat:stable" "$registry/bookcat@sha256:abc" \
    "$new_image;reboot" "$new_image "; do
    scenario "not a digest: $reference" IMAGE="$reference"
    check "'$reference' is refused" [ "$status" -eq 1 ]
    check "'$reference' is refused before any container is touched" not_called "docker"
    check "'$reference' is refused with a reason" grep -qF "IMAGE must name the image by digest" "$work/out.log"
done

WITH_HELPER=1 NO_AWS=1 scenario "instance with the ECR credential helper and no aws CLI"
check "the credential helper is enough to deploy" [ "$status" -eq 0 ]
check "with the helper there is no docker login" not_called "docker login"
check "with the helper the stack starts the new image" called "up -d --remove-orphans [image=$new_image]"

NO_AWS=1 scenario "neither the credential helper nor the aws CLI"
check "without any registry credentials the deploy exits non-zero" [ "$status" -ne 0 ]
check "without any registry credentials nothing is pulled" not_called "docker pull"
check "without any registry credentials it says why" grep -q "neither docker-credential-ecr-login nor the aws CLI" "$work/out.log"

INSTANCE_ENV="BOOKCAT_PORT=9000" scenario "the instance's published port"
check "instance.env's port reaches compose" called "up -d --remove-orphans [image=$new_image][port=9000]"

# The SSM command text exactly as the workflow sends it, run the way the SSM agent runs it: with sh, which is dash
# on Ubuntu. It writes this commit's scripts into the deploy folder and runs deploy.sh there.
ssm() {
    rm -rf "$work/deploy" "$work/state" && mkdir -p "$work/deploy" "$work/state"
    echo "JWT_SECRET_KEY=x" >"$work/deploy/.env"
    scripts/deploy/ssm-deploy-commands.sh "$1" eu-west-1 "$work/deploy" | jq -r '.[]' >"$work/ssm-script.sh"
    record env PATH="$work/aws-bin:$work/bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" FAKE_STATE="$work/state" HEALTH_TIMEOUT=5 \
        HEALTH_INTERVAL=0.1 dash "$work/ssm-script.sh"
}
ssm "$new_image"
check "the SSM command runs under dash" [ "$status" -eq 0 ]
check "the SSM command writes an executable deploy.sh" [ -x "$work/deploy/deploy.sh" ]
check "the SSM command ships this commit's deploy.sh" cmp -s scripts/deploy/deploy.sh "$work/deploy/deploy.sh"
check "the SSM command ships this commit's compose file" cmp -s scripts/deploy/docker-compose.yml "$work/deploy/docker-compose.yml"
check "the SSM command deploys the digest" called "up -d --remove-orphans [image=$new_image]"
ssm "$registry/bookcat:x;touch $work/injected"
check "the SSM command passes a bad reference to deploy.sh as one word, which refuses it" [ "$status" -eq 1 ]
check "so nothing in it runs as a command" [ ! -e "$work/injected" ]

NO_ENV=1 scenario "missing .env"
check "missing .env exits non-zero" [ "$status" -ne 0 ]
check "missing .env touches no container" not_called "docker"
check "missing .env says what to do" grep -q "create it from .env.example" "$work/out.log"

scenario "registry login fails" FAKE_LOGIN_FAILS=1
check "login failure exits 1" [ "$status" -eq 1 ]
check "login failure pulls nothing" not_called "docker pull"
check "login failure changes no container" not_called "--project-name"

scenario "pull fails" FAKE_PULL_FAILS="${new_digest#sha256:}"
check "pull failure exits 1" [ "$status" -eq 1 ]
check "pull failure changes no container" not_called "--project-name"
check "pull failure promotes nothing" not_called "docker push"

scenario "only compose v1 installed" FAKE_NO_COMPOSE_V2=1
check "a v1-only host deploys" [ "$status" -eq 0 ]
check "a v1-only host runs docker-compose" called "docker-compose --project-name bookcat"
check "a v1-only host starts the new image" called "up -d --remove-orphans [image=$new_image]"
check "a v1-only host never calls the missing plugin for the stack" not_called "docker compose --project-name"

RELEASED=$old_image RUNNING=$old_image scenario "only compose v1, unhealthy" FAKE_NO_COMPOSE_V2=1 \
    FAKE_UNHEALTHY="${new_digest#sha256:}"
check "a v1-only host rolls back too" [ "$status" -eq 3 ]
check "a v1-only host brings the previous digest back with docker-compose" called "[image=$old_image]"

scenario "no compose at all" FAKE_NO_COMPOSE_V2=1 FAKE_NO_COMPOSE_V1=1
check "without compose the deploy exits non-zero" [ "$status" -ne 0 ]
check "without compose nothing is pulled" not_called "docker pull"
check "without compose it says what to install" grep -q "neither 'docker compose' (v2) nor 'docker-compose' (v1)" "$work/out.log"

RELEASED=$new_image RUNNING=$new_image scenario "deploying the same digest again"
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
    record env PATH="$work/aws-bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" "$@" scripts/deploy/promote-stable.sh bookcat "${DIGEST:-$new_digest}"
}
promote
check "promotion succeeds" [ "$status" -eq 0 ]
check "promotion reads the deployed digest's manifest" called "aws ecr batch-get-image --repository-name bookcat --image-ids imageDigest=$new_digest"
check "promotion puts that manifest under stable, for that digest only" \
    called "aws ecr put-image --repository-name bookcat --image-tag stable --image-digest $new_digest --image-manifest {\"schemaVersion\": 2, \"layers\": []}"
check "promotion keeps an OCI index's media type" called "--image-manifest-media-type application/vnd.oci.image.index.v1+json"
promote FAKE_ALREADY_STABLE=1
check "stable already on that image is success" [ "$status" -eq 0 ]
promote FAKE_PUT_FAILS=1
check "a refused put fails the promotion" [ "$status" -eq 1 ]
check "and says why" grep -q "AccessDeniedException" "$work/out.log"
promote FAKE_NO_IMAGE=1
check "a digest the registry lacks fails before any put" [ "$status" -eq 1 ]
check "without touching stable" not_called "put-image"
DIGEST=abc123 promote
check "a tag is refused: stable moves by digest only" [ "$status" -eq 1 ]
check "before asking the registry" not_called "aws "

# pin-scale-out.sh, as docs/deployment-aws.md's roll-out runs it before `terraform apply`: the digest the replicas will run becomes
# `scale-out`, and the one they ran `scale-out-previous` (first), the two tags the ECR lifecycle policy never expires
# (scripts/checks/check-ecr-lifecycle.py). FAKE_SCALE_OUT: the digest `scale-out` names now, if any.
cat >"$work/aws-bin/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >>"$FAKE_LOG"
[ "${FAKE_AWS_FAILS:-0}" = 1 ] && { echo "Unable to locate credentials" >&2; exit 253; }
case "$1 $2" in
    "ecr batch-get-image")
        case "$*" in
            *imageTag=scale-out*)
                [ -n "${FAKE_SCALE_OUT:-}" ] || { echo '{"images": [], "failures": [{"failureCode": "ImageNotFound"}]}'; exit 0; }
                echo "{\"images\": [{\"imageId\": {\"imageDigest\": \"$FAKE_SCALE_OUT\", \"imageTag\": \"scale-out\"}, \"imageManifest\": \"{\\\"layers\\\": \\\"running\\\"}\", \"imageManifestMediaType\": \"application/vnd.oci.image.index.v1+json\"}]}" ;;
            *)
                [ "${FAKE_NO_IMAGE:-0}" = 1 ] && { echo '{"images": [], "failures": [{"failureCode": "ImageNotFound"}]}'; exit 0; }
                echo '{"images": [{"imageManifest": "{\"layers\": \"new\"}", "imageManifestMediaType": "application/vnd.oci.image.index.v1+json"}]}' ;;
        esac ;;
    "ecr put-image")
        [ -n "${FAKE_PUT_FAILS:-}" ] && [[ "$*" == *"--image-tag $FAKE_PUT_FAILS "* ]] && { echo "An error occurred (AccessDeniedException)" >&2; exit 254; } ;;
esac
exit 0
FAKE
pin() {
    record env PATH="$work/aws-bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" "$@" scripts/deploy/pin-scale-out.sh bookcat "${DIGEST:-$new_digest}"
}
pin
check "a first pin succeeds" [ "$status" -eq 0 ]
check "a first pin tags the digest scale-out, for that digest only" \
    called "aws ecr put-image --repository-name bookcat --image-tag scale-out --image-digest $new_digest --image-manifest {\"layers\": \"new\"} --image-manifest-media-type application/vnd.oci.image.index.v1+json"
check "a first pin has no previous release to keep" not_called "--image-tag scale-out-previous"
pin FAKE_SCALE_OUT="$old_digest"
check "a roll-out pin succeeds" [ "$status" -eq 0 ]
check "the digest the replicas ran becomes scale-out-previous" \
    called "aws ecr put-image --repository-name bookcat --image-tag scale-out-previous --image-digest $old_digest --image-manifest {\"layers\": \"running\"}"
check "and the new digest scale-out" called "--image-tag scale-out --image-digest $new_digest"
check "scale-out-previous first: the running digest is never without a kept tag" \
    called_before "--image-tag scale-out-previous" "--image-tag scale-out --image-digest"
pin FAKE_SCALE_OUT="$new_digest"
check "pinning the pinned digest again succeeds" [ "$status" -eq 0 ]
check "and moves nothing: scale-out-previous still names what ran before" not_called "put-image"
pin FAKE_SCALE_OUT="$old_digest" FAKE_PUT_FAILS=scale-out-previous
check "a refused scale-out-previous fails the pin" [ "$status" -eq 1 ]
check "before scale-out moves" not_called "--image-tag scale-out --image-digest"
check "and says why" grep -q "AccessDeniedException" "$work/out.log"
pin FAKE_SCALE_OUT="$old_digest" FAKE_PUT_FAILS=scale-out
check "a refused scale-out fails the pin" [ "$status" -eq 1 ]
check "and says not to apply yet" grep -qF "do not apply it yet" "$work/out.log"
pin FAKE_NO_IMAGE=1
check "a digest the registry lacks fails before any tag moves" [ "$status" -eq 1 ]
check "without touching scale-out" not_called "put-image"
pin FAKE_AWS_FAILS=1
check "an aws CLI that fails (no credentials) fails the pin" [ "$status" -eq 1 ]
check "having moved nothing" not_called "put-image"
DIGEST=stable pin
check "a tag is refused: the replicas run a digest" [ "$status" -eq 1 ]
check "before asking the registry" not_called "aws "

# health-checker.sh on its own: a container that never turns healthy hits the deadline.
cat >"$work/bin/docker" <<'FAKE'
#!/usr/bin/env bash
echo starting
FAKE
record env PATH="$work/bin:$PATH" HEALTH_INTERVAL=0.1 scripts/deploy/health-checker.sh some-container 1
check "health-checker gives up at its deadline" [ "$status" -eq 1 ]
check "health-checker says why" grep -q "after 1s" "$work/out.log"

report deploy
