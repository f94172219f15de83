#!/usr/bin/env bash
# scripts/deploy/run-ssm-deploy.sh against a recording fake `aws` that answers as SSM would: the deploy command is
# sent to the instance, polled until it ends, and each way it can end (deploy.sh's exit status, SSM's timeout, a
# command still running, an `aws` that fails) gives a summary and a verdict that say truly what runs on the instance.
# Also checks that deployment.yml's deploy step is this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/tests/fakes.sh
source scripts/tests/fakes.sh
make_work
instance=i-0123456789abcdef0
commit=0123456789abcdef0123456789abcdef01234567
image=123456789012.dkr.ecr.eu-west-1.amazonaws.com/bookcat@sha256:$(printf '%064x' 1)
command_id=0b1c2d3e-0000-4000-8000-000000000001

# FAKE_STATUSES: what each `--query Status` answers in turn, the last one repeated ("missing": the invocation does
# not exist yet, an error); FAKE_CODE: the ResponseCode; FAKE_AWS_FAILS=1: every call fails, as without credentials.
cat >"$work/bin/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >>"$FAKE_LOG"
[ "${FAKE_AWS_FAILS:-0}" = 1 ] && { echo "Unable to locate credentials. You can configure credentials by running \"aws configure\"." >&2; exit 253; }
case "$1 $2" in
    "ssm send-command") echo "$FAKE_COMMAND_ID" ;;
    "ssm get-command-invocation")
        case "$*" in
            *"--query Status "*)
                polls=$(cat "$FAKE_STATE/polls" 2>/dev/null || echo 0)
                echo $((polls + 1)) >"$FAKE_STATE/polls"
                read -ra answers <<<"$FAKE_STATUSES"
                answer=${answers[$((polls < ${#answers[@]} ? polls : ${#answers[@]} - 1))]}
                [ "$answer" != missing ] || { echo "An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation" >&2; exit 254; }
                echo "$answer" ;;
            *"--query ResponseCode "*) echo "$FAKE_CODE" ;;
            *StandardOutputContent*) printf '%s\t%s\n' "deploy: what the host printed" "" ;;
        esac ;;
esac
exit 0
FAKE
chmod +x "$work/bin/aws"

# deploy STATUSES CODE [NAME=VALUE...]: run-ssm-deploy.sh with SSM answering STATUSES, then CODE.
deploy() {
    local statuses=$1 code=$2
    shift 2
    rm -rf "$work/state" && mkdir -p "$work/state"
    : >"$work/summary.md"
    record env PATH="$work/bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" FAKE_STATE="$work/state" FAKE_STATUSES="$statuses" \
        FAKE_CODE="$code" FAKE_COMMAND_ID="$command_id" AWS_REGION=eu-west-1 GITHUB_STEP_SUMMARY="$work/summary.md" \
        SSM_POLL_SECONDS=0 "$@" scripts/deploy/run-ssm-deploy.sh "$instance" "$image" "$commit"
}
in_summary() { grep -qF -- "$1" "$work/summary.md"; }
polls() { [ "$(grep -c -- "--query Status " "$work/calls.log")" -eq "$1" ]; }
# The verdict: the summary's bold line and the error annotation, both exactly MESSAGE.
verdict() { in_summary "**$1**" && in_output "::error::$1"; }
not_in_summary_bold() { ! grep -qF -- "**" "$work/summary.md"; }

deploy "missing InProgress Success" 0
check "Success:0 is a deploy (exit 0)" [ "$status" -eq 0 ]
check "it sends deploy.sh to the instance through AWS-RunShellScript" \
    called "aws ssm send-command --instance-ids $instance --document-name AWS-RunShellScript --comment bookcat deploy $commit"
check "with ssm-deploy-commands.sh's command text for the digest" \
    called "--parameters {\"commands\": $(scripts/deploy/ssm-deploy-commands.sh "$image" eu-west-1)}"
check "it waits through a not-yet-existing invocation and InProgress until the command ends" polls 3
check "it prints what the host printed" in_output "deploy: what the host printed"
check "its summary names the commit and the status" in_summary "## Deploy of $commit: Success"
check "and the image by digest" in_summary "Image: \`$image\`"
check "and what the host printed" in_summary "deploy: what the host printed"
check "a deploy has no verdict in its summary" not_in_summary_bold
check "nor an error annotation" not_in_output "::error::"

first_deploy_safe="the deploy stopped before touching any container: whatever ran before still runs (nothing, on a first deploy); $commit was not deployed"
deploy "InProgress Failed" 1
check "Failed:1 fails the step" [ "$status" -eq 1 ]
check "Failed:1 says nothing was touched, true on a first deploy and before deploy.sh ran" verdict "$first_deploy_safe"
check "Failed:1 does not claim a release still runs" not_in_output "the release that was running still runs"
check "its summary has the status" in_summary "## Deploy of $commit: Failed"

deploy "Failed" 3
check "Failed:3 fails the step" [ "$status" -eq 1 ]
check "Failed:3 says it rolled back" verdict "$commit did not become healthy: rolled back to the previous release, which runs again"

deploy "Failed" 4
check "Failed:4 fails the step" [ "$status" -eq 1 ]
check "Failed:4 says to look at the instance" \
    verdict "$commit did not become healthy and the instance could not be brought back to a healthy release: look at it"

deploy "Failed" 5
check "Failed:5 fails the step" [ "$status" -eq 1 ]
check "Failed:5 says nothing serves" \
    verdict "$commit did not become healthy and there was no previous release to roll back to: it is stopped, nothing serves the API"

deploy "InProgress TimedOut" -1
check "TimedOut (-1) fails the step" [ "$status" -eq 1 ]
check "TimedOut says it is not known which release serves" \
    verdict "the deploy command ended with status TimedOut before saying what it did: deploy.sh may not have run, or been cut short, so it is not known which release serves; look at the instance (SSM command $command_id)"
check "TimedOut claims no rollback" not_in_output "rolled back"

deploy "InProgress" -1 SSM_POLL_ATTEMPTS=3
check "a command still running when the wait ends fails the step" [ "$status" -eq 1 ]
check "after the attempts it was given" polls 3
check "and says it may still be running" in_output "::error::the deploy had not ended after 0 s (SSM status InProgress): it may still be running on the instance"

deploy "Failed" 2
check "another exit code fails the step" [ "$status" -eq 1 ]
check "and says which" verdict "the deploy ended with status Failed (exit code 2): see its output"

deploy "Success" 0 FAKE_AWS_FAILS=1
check "an aws that fails (no credentials) fails the step" [ "$status" -eq 1 ]
check "and says the command was not sent, so nothing ran" \
    verdict "the deploy command could not be sent to $instance (see the aws error above): nothing ran there, whatever ran before still runs; $commit was not deployed"
check "shows aws's own error" in_output "Unable to locate credentials"
check "does not wait for a command that does not exist" not_called "get-command-invocation"
check "its summary says it was not sent" in_summary "## Deploy of $commit: not sent"

# The workflow's deploy step is this script, given what it needs.
check_python "deployment.yml's deploy step runs run-ssm-deploy.sh and nothing else" <<'PY'
import yaml
job = yaml.safe_load(open(".github/workflows/deployment.yml"))["jobs"]["deploy"]
step = next(step for step in job["steps"] if step.get("name") == "Run deploy.sh on the instance through SSM")
lines = [line.strip() for line in step["run"].strip().splitlines() if line.strip() and not line.strip().startswith("#")]
assert lines == ['scripts/deploy/run-ssm-deploy.sh "$INSTANCE_ID" "$IMAGE" "$IMAGE_TAG"'], lines
assert set(step["env"]) == {"IMAGE", "INSTANCE_ID"}, step["env"]
assert "@${{ steps.build.outputs.digest }}" in step["env"]["IMAGE"], step["env"]["IMAGE"]
assert {"AWS_REGION", "IMAGE_TAG"} <= set(job["env"]), job["env"]
PY
report "run-ssm-deploy"
