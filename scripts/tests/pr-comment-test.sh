#!/usr/bin/env bash
# scripts/ci/pr-comment.py against a recording fake of `gh`: the comment goes to the pull request GitHub says the run
# was for, whatever number the (fork-controlled) artifact names, and the fork's summary cannot render or mention.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/tests/fakes.sh
source scripts/tests/fakes.sh
make_work
sha=0123456789abcdef0123456789abcdef01234567
other=ffffffffffffffffffffffffffffffffffffffff
cat >"$work/bin/gh" <<FAKE
#!/usr/bin/env bash
echo "gh \$*" >>"$work/calls.log"
cat "$work/pulls.json"
FAKE
chmod +x "$work/bin/gh"
# prepare: runs the script as pr-comment.yml does; its status is the check's.
prepare() {
    PATH="$work/bin:$PATH" REPOSITORY=base/bookcat HEAD_OWNER=forker HEAD_BRANCH=feature HEAD_SHA=$sha \
        python3 scripts/ci/pr-comment.py "$work/summary.md" "$work/comment.md" >"$work/out.log" 2>&1
}
chose() { prepare && [ "$(cat "$work/out.log")" = "$1" ]; }
comment_has() { grep -qF -- "$1" "$work/comment.md"; }
comment_lacks() { ! grep -qF -- "$1" "$work/comment.md"; }

# A crafted artifact: the fork names pull request 1 (someone else's) and writes markup, mentions and a fence.
echo 1 >"$work/number"
printf 'all passed @base/maintainers <img src=x onerror=alert(1)>\n```\n# not a heading\n' >"$work/summary.md"
echo "[{\"number\": 7, \"head\": {\"sha\": \"$sha\"}}, {\"number\": 8, \"head\": {\"sha\": \"$other\"}}]" >"$work/pulls.json"
: >"$work/calls.log"
check "the run's own pull request (7) is chosen, not the artifact's number (1)" chose 7
check "pull requests are looked up by the run's head repository and branch" called "repos/base/bookcat/pulls"
check "for forker:feature" called "head=forker:feature"
check "a mention cannot notify anyone" comment_lacks "@base/maintainers"
check "the summary sits in a fence longer than its own backticks" comment_has '````text'
check "under this workflow's own heading" comment_has "### Checks of 0123456789ab"

# Neither job left a summary (pr-comment.yml then passes an empty file): said so, not an empty fence.
: >"$work/summary.md"
prepared_comment_has() { prepare && comment_has "$1"; }
check "an empty summary says the run left none" prepared_comment_has "(the run left no summary)"

# No open pull request at the run's commit (the branch moved on, or it is another repository's): no comment.
echo "[{\"number\": 8, \"head\": {\"sha\": \"$other\"}}]" >"$work/pulls.json"
refused() { ! prepare; }
check "no pull request at the run's commit: refused" refused
report "pr-comment"
