#!/usr/bin/env bash
# Refuses a commit on which the integration workflow has not succeeded on a push to main. The deployment workflow
# runs it first when started by hand (workflow_dispatch), which would otherwise ship main's head whatever its checks
# said; its workflow_run trigger already starts only after such a success.
#   GH_TOKEN=… scripts/deploy/require-green.sh OWNER/REPO COMMIT_SHA
# Needs the GitHub CLI and a token that may read the repository's Actions (the job's `permissions: actions: read`).
set -euo pipefail

usage="usage: require-green.sh OWNER/REPO COMMIT_SHA"
repository=${1:?$usage} sha=${2:?$usage}
workflow=integration.yml
fail() { echo "require-green: $*" >&2; exit 1; }
[[ "$sha" =~ ^[0-9a-f]{40}$ ]] || fail "a full commit SHA expected, not '$sha'; not deploying"

# GitHub filters the runs; each one is checked again here, so a run of another commit, event or branch never counts.
run=$(gh api "repos/$repository/actions/workflows/$workflow/runs?head_sha=$sha&event=push&branch=main&status=success" \
    --jq "[.workflow_runs[] | select(.head_sha == \"$sha\" and .event == \"push\" and .head_branch == \"main\" and .conclusion == \"success\") | .html_url] | first // empty") ||
    fail "could not read $workflow's runs of $sha from GitHub; not deploying"
[ -n "$run" ] ||
    fail "$workflow has not succeeded on a push to main for $sha (still running, failed, or never ran): not deploying it; wait for that run, or fix main"
echo "require-green: $workflow succeeded on main for $sha: $run"
