#!/usr/bin/env bash
# Runs deploy.sh on the instance through SSM Run Command and says what happened there: the deployment workflow's
# "Run deploy.sh on the instance through SSM" step. It sends ssm-deploy-commands.sh's command text (this commit's
# scripts travel inside it: the instance needs no access to the repository), waits for the command to end, prints its
# output, writes the summary of the run (GITHUB_STEP_SUMMARY, when set) and fails unless deploy.sh deployed.
#   AWS_REGION=eu-west-1 scripts/deploy/run-ssm-deploy.sh INSTANCE_ID REGISTRY/REPOSITORY@sha256:DIGEST COMMIT
# SSM_POLL_SECONDS (5) and SSM_POLL_ATTEMPTS (120) set how long it waits: 10 minutes by default. Tested against a
# fake `aws` by scripts/tests/run-ssm-deploy-test.sh.
#
# Exit status: 0 deployed and healthy; 1 anything else, with the outcome (deploy.sh's exit status, listed in its
# header) as a GitHub error annotation and in the summary.
set -euo pipefail

usage="usage: run-ssm-deploy.sh INSTANCE_ID REGISTRY/REPOSITORY@sha256:DIGEST COMMIT"
instance_id=${1:?$usage} image=${2:?$usage} commit=${3:?$usage}
region=${AWS_REGION:?set AWS_REGION to the region of the instance}
poll_seconds=${SSM_POLL_SECONDS:-5} poll_attempts=${SSM_POLL_ATTEMPTS:-120}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
here=$(cd "$(dirname "$0")" && pwd)

# finish STATUS OUTCOME OUTPUT: the summary, and the verdict (an empty OUTCOME is a deploy).
finish() {
    local status=$1 outcome=$2 output=$3
    {
        echo "## Deploy of $commit: $status"
        echo
        echo "Image: \`$image\`"
        echo
        [ -z "$outcome" ] || { echo "**$outcome**"; echo; }
        echo '```'
        echo "$output"
        echo '```'
    } >>"$summary"
    [ -z "$outcome" ] || { echo "::error::$outcome" >&2; exit 1; }
    echo "run-ssm-deploy: $image deployed on $instance_id"
}

commands=$("$here/ssm-deploy-commands.sh" "$image" "$region")
if ! command_id=$(aws ssm send-command --instance-ids "$instance_id" --document-name AWS-RunShellScript \
    --comment "bookcat deploy $commit" --parameters "{\"commands\": $commands}" \
    --query Command.CommandId --output text) || [ -z "$command_id" ]; then
    finish "not sent" "the deploy command could not be sent to $instance_id (see the aws error above): nothing ran there, whatever ran before still runs; $commit was not deployed" ""
fi
echo "SSM command $command_id"

status=Pending
for _ in $(seq 1 "$poll_attempts"); do
    sleep "$poll_seconds"
    # Just after send-command the invocation may not exist yet (InvocationDoesNotExist): still pending.
    status=$(aws ssm get-command-invocation --command-id "$command_id" --instance-id "$instance_id" --query Status --output text) || status=Pending
    case "$status" in Pending | InProgress | Delayed) continue ;; *) break ;; esac
done
# deploy.sh's exit status says what happened on the host (its header lists them); -1 when the command did not end.
code=$(aws ssm get-command-invocation --command-id "$command_id" --instance-id "$instance_id" --query ResponseCode --output text) || code=unknown
output=$(aws ssm get-command-invocation --command-id "$command_id" --instance-id "$instance_id" \
    --query '[StandardOutputContent,StandardErrorContent]' --output text) ||
    output="(the command's output could not be read: aws ssm get-command-invocation --command-id $command_id --instance-id $instance_id)"
echo "$output"

case "$status:$code" in
    Success:0) outcome="" ;;
    Pending:* | InProgress:* | Delayed:*)
        outcome="the deploy had not ended after $((poll_seconds * poll_attempts)) s (SSM status $status): it may still be running on the instance, and it is not known which release serves; look at the instance (SSM command $command_id)" ;;
    TimedOut:* | Cancelled:* | Cancelling:*)
        outcome="the deploy command ended with status $status before saying what it did: deploy.sh may not have run, or been cut short, so it is not known which release serves; look at the instance (SSM command $command_id)" ;;
    # deploy.sh's 1, or the command text failing before deploy.sh ran (writing the scripts): no container was touched.
    *:1) outcome="the deploy stopped before touching any container: whatever ran before still runs (nothing, on a first deploy); $commit was not deployed" ;;
    *:3) outcome="$commit did not become healthy: rolled back to the previous release, which runs again" ;;
    *:4) outcome="$commit did not become healthy and the instance could not be brought back to a healthy release: look at it" ;;
    *:5) outcome="$commit did not become healthy and there was no previous release to roll back to: it is stopped, nothing serves the API" ;;
    *) outcome="the deploy ended with status $status (exit code $code): see its output" ;;
esac
finish "$status" "$outcome" "$output"
