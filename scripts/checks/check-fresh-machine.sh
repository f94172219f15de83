#!/usr/bin/env bash
# Runs the GitHub `test` job's own steps (.github/workflows/integration.yml) from a clean clone on a fresh Debian 12
# machine: a container of a stand-in for the job's image, swift:6.3-bookworm, with exactly the official image's
# packages and this machine's toolchain (scripts/stack/builder.Containerfile), whose PID 1 is `tail -f /dev/null`,
# as in a job container without `--init`, so nothing reaps an orphaned child and every stopped server stays a
# zombie. Each `run:` step runs as GitHub runs it, and for each `uses:` step what the action needs from the image
# (scripts/ci/action-needs.yml, read from its source at the pinned SHA) must be there by then
# (scripts/ci/job-steps.py). What passes here passes without anything this machine happens to have: no package
# installed by hand, no folder another stage made, no init that reaps.
#
#   scripts/checks/check-fresh-machine.sh          the job's steps, with the test command's quick path (format lint,
#                                           build, the Swift tests) and the README walkthrough on a private
#                                           PostgreSQL in place of the whole test command
#   scripts/checks/check-fresh-machine.sh --full   the job's steps as written: CI=true ./scripts/test.sh, every stage
#
# Only committed work is cloned (HEAD). The container reaches package sources as this machine does (its extra CA
# certificates, pip configuration and Swift package mirror, read-only): that is the network, not the machine.
# Where podman cannot start containers (not root, or inside a container itself) this says SKIPPED.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source scripts/stack/standins.sh

say() { echo "fresh machine: $*"; }
mode=${1:-quick}
case $mode in
quick | --full) ;;
*) echo "usage: scripts/checks/check-fresh-machine.sh [--full]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    say "SKIPPED: needs root for podman's rootful storage"
    exit 0
fi
# Checked before installing anything: a job's container (and this check's own, in --full) has no container engine.
if in_container && ! command -v podman >/dev/null; then
    say "SKIPPED: this machine is a container without a container engine"
    exit 0
fi
ensure_apt_packages podman runc debootstrap uidmap git python3-yaml
export CONTAINERS_CONF=$PWD/scripts/stack/containers.conf
podman_ready_or_skip

started=$SECONDS
work=$(mktemp -d)
container=bookcat-fresh-machine-$$
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local status=$?
    podman rm -f --time 0 "$container" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

ensure_standin_images "$work"
git clone --quiet --no-hardlinks "$PWD" "$work/bookcat"
say "clone of $(git -C "$work/bookcat" rev-parse --short HEAD) in a fresh $STANDIN_BUILDER"

if [ "$mode" = --full ]; then
    test_command='./scripts/test.sh'
    limit=$((120 * 60))
else
    test_command='{ ./scripts/test.sh --quick && WITH_POSTGRES=1 ./scripts/checks/check-walkthrough.sh; }'
    limit=$((60 * 60))
fi
mkdir -p "$work/temp"
python3 scripts/ci/job-steps.py script .github/workflows/integration.yml test \
    --replace "./scripts/test.sh=$test_command" >"$work/temp/job-steps.sh"

# Where GitHub puts a job container's checkout, home and step summary. The checkout belongs to the runner's user
# (1001 on GitHub's hosted runners), not to the container's root, so git refuses it until told it is safe.
workspace=/__w/bookcat/bookcat
chown -R 1001:1001 "$work/bookcat"
mapfile -t source_volumes < <(host_source_volumes)
# No --init: PID 1 is tail, which never waits for a child, as in GitHub's job containers without it.
podman run -d --name "$container" --network host "${source_volumes[@]}" -v "$work/bookcat:$workspace" -v "$work/temp:/__w/_temp" \
    -w "$workspace" "$STANDIN_BUILDER" tail -f /dev/null >/dev/null
[ "$(podman exec "$container" cat /proc/1/comm)" = tail ] || { say "PID 1 is not tail"; exit 1; }
# This machine's extra CA certificates are the network's (see above); the image has ca-certificates (git's Recommends).
[ ! -d /usr/local/share/ca-certificates ] || podman exec "$container" update-ca-certificates >/dev/null

say "running the steps of integration.yml's test job, the test command as: $test_command"
# A stage that waits for a zombie to exit would wait forever: the limit turns that hang into a failure.
status=0
# shellcheck disable=SC2016  # expanded in the container
timeout --kill-after=30 "$limit" podman exec -e CI=true -e GITHUB_ACTIONS=true -e GITHUB_EVENT_NAME=pull_request \
    -e HOME=/github/home -e GITHUB_WORKSPACE="$workspace" -e RUNNER_TEMP=/__w/_temp \
    -e GITHUB_STEP_SUMMARY=/__w/_temp/step_summary "$container" \
    bash -c 'mkdir -p "$HOME" && bash /__w/_temp/job-steps.sh' >"$work/run.log" 2>&1 || status=$?
zombies=$(podman exec "$container" sh -c 'grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l' || echo "?")
mkdir -p .tools && cp "$work/run.log" .tools/fresh-machine.log
if [ "$status" -ne 0 ]; then
    # The failing tests first (a Swift test run's issues come long before its last lines), then the end.
    grep -aE '✘ .*(recorded an issue|Caught error)' "$work/run.log" | head -n 20 >&2 || true
    tail -n 60 "$work/run.log" >&2
    [ "$status" -ne 124 ] || say "the run did not end within $((limit / 60)) minutes: a wait that never returns?"
    say "FAILED ($status) after $((SECONDS - started)) s; the whole run's output is in .tools/fresh-machine.log"
    exit 1
fi
# The stages and their verdicts, not every passing test.
grep -aE '^job step:|^==>|Test run with|checks passed|^stages:|SKIPPED|README walkthrough' "$work/run.log" | sed 's/^/  /'
say "passed: the test job's steps, on the job's image (a stand-in of swift:6.3-bookworm), under a PID 1 that does not reap ($zombies zombies left, as expected there) in $((SECONDS - started)) s"
