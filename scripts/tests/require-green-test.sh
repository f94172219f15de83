#!/usr/bin/env bash
# scripts/deploy/require-green.sh against a recording fake `gh` (canned runs of the integration workflow, its --jq
# applied by the real jq): a deploy by hand goes ahead only for a commit whose integration run succeeded on a push to
# main. Also checks that deployment.yml runs it, by hand only, before anything reaches AWS.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/tests/fakes.sh
source scripts/tests/fakes.sh
make_work
sha=0123456789abcdef0123456789abcdef01234567

fake_gh <<'FAKE'
echo "gh $*" >>"$FAKE_LOG"
[ "${FAKE_GH_FAILS:-0}" = 1 ] && { echo "HTTP 403: Resource not accessible by integration" >&2; exit 1; }
# The answer is what the scenario says, whatever the query: the script must not trust GitHub's filtering alone.
answer=${FAKE_RUNS:-'{"total_count": 0, "workflow_runs": []}'}
FAKE

# run JSON_OF_ONE_RUN|"" [NAME=VALUE...]: require-green.sh for $sha, with GitHub answering that run (or none).
require() {
    local runs='{"total_count": 0, "workflow_runs": []}'
    [ -z "$1" ] || runs="{\"total_count\": 1, \"workflow_runs\": [$1]}"
    shift
    record env PATH="$work/bin:$PATH" FAKE_LOG="$work/calls.log" FAKE_RUNS="$runs" "$@" \
        scripts/deploy/require-green.sh example-org/bookcat "${SHA:-$sha}"
}
green="{\"head_sha\": \"$sha\", \"event\": \"push\", \"head_branch\": \"main\", \"conclusion\": \"success\", \"html_url\": \"https://github.com/example-org/bookcat/actions/runs/42\"}"

require "$green"
check "a commit integration passed on main: deployable" [ "$status" -eq 0 ]
check "it asks for integration's successful push runs of that commit on main" \
    called "gh api repos/example-org/bookcat/actions/workflows/integration.yml/runs?head_sha=$sha&event=push&branch=main&status=success"
check "it names the run" grep -qF "actions/runs/42" "$work/out.log"

require ""
check "no successful run (red, running, or none): refused" [ "$status" -eq 1 ]
check "and says why, plainly" grep -qF "integration.yml has not succeeded on a push to main for $sha" "$work/out.log"

require "${green/\"success\"/\"failure\"}"
check "a failed run is not green" [ "$status" -eq 1 ]
require "${green/\"push\"/\"pull_request\"}"
check "a pull request's run is not a push to main" [ "$status" -eq 1 ]
require "${green/\"main\"/\"feature\"}"
check "a run on another branch does not count" [ "$status" -eq 1 ]
require "${green/$sha/fedcba9876543210fedcba9876543210fedcba98}"
check "another commit's run does not count" [ "$status" -eq 1 ]

require "$green" FAKE_GH_FAILS=1
check "GitHub unreachable or refusing: refused" [ "$status" -eq 1 ]
check "and says it could not ask" grep -qF "could not read integration.yml's runs" "$work/out.log"

SHA=main require "$green"
check "not a full SHA: refused" [ "$status" -eq 1 ]
check "without asking GitHub" not_called "gh "

# The workflow: the deploy job runs the check when started by hand, before it configures AWS credentials, and may
# read Actions runs.
check_python "deployment.yml checks a run by hand before anything reaches AWS" <<'PY'
import sys, yaml
job = yaml.safe_load(open(".github/workflows/deployment.yml"))["jobs"]["deploy"]
steps = job["steps"]
gate = next(i for i, step in enumerate(steps) if "require-green.sh" in step.get("run", ""))
aws = next(i for i, step in enumerate(steps) if "configure-aws-credentials" in step.get("uses", ""))
assert gate < aws, "require-green.sh runs after AWS credentials"
assert steps[gate].get("if") == "github.event_name == 'workflow_dispatch'", steps[gate].get("if")
assert job["permissions"].get("actions") == "read", job["permissions"]
PY
report "require-green"
