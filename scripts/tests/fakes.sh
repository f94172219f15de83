# shellcheck shell=bash disable=SC2154  # `work` is set by make_work, or by the sourcing test
# Assertions for the behaviour tests that run a script against recording fakes; source it, don't run it, from the
# repository's root. `work` is a temporary folder (make_work): the fakes append each call to $work/calls.log, and the
# script under test writes its output to $work/out.log.

passed=0
failed=0

# make_work: sets `work` to a new temporary folder, removed on exit, with bin/ in it for the fakes.
make_work() {
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/bin"
}

# record COMMAND...: runs COMMAND with an empty calls.log, its output in out.log and its exit status in `status`.
record() {
    : >"$work/calls.log"
    # shellcheck disable=SC2034  # `status` is for the sourcing test to check
    if "$@" >"$work/out.log" 2>&1; then status=0; else status=$?; fi
}

# check DESCRIPTION COMMAND...: counts COMMAND's success; on failure prints the calls and the output.
check() {
    local description=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $description" >&2
        sed 's/^/    calls: /' "$work/calls.log" >&2
        sed 's/^/    output: /' "$work/out.log" >&2
    fi
}

# Whether a fake recorded a call containing TEXT.
called() { grep -qF -- "$1" "$work/calls.log"; }
not_called() { ! grep -qF -- "$1" "$work/calls.log"; }

# Whether the first call containing FIRST was recorded before the first containing SECOND.
called_before() {
    local first second
    first=$(grep -nF -- "$1" "$work/calls.log" | head -n 1 | cut -d: -f1)
    second=$(grep -nF -- "$2" "$work/calls.log" | head -n 1 | cut -d: -f1)
    [ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ]
}

# report NAME: prints the tally and fails when any check failed.
report() {
    echo "$1 tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# Whether the output of the script under test has, or lacks, TEXT.
in_output() { grep -qF -- "$1" "$work/out.log"; }
not_in_output() { ! grep -qF -- "$1" "$work/out.log"; }

# check_python DESCRIPTION <<'PY' … PY: checks that the Python on standard input (run from the repository's root, with
# the project's .venv where there is one, for PyYAML) exits 0; on failure its output is shown.
check_python() {
    local python=.venv/bin/python
    [ -x "$python" ] || python=python3
    : >"$work/calls.log"
    if "$python" - >"$work/out.log" 2>&1; then check "$1" true; else check "$1" false; fi
}

# fake_gh <<'FAKE' … FAKE: writes $work/bin/gh, a fake GitHub CLI. The bash on standard input records the call and sets
# `answer` (JSON) from the arguments; the fake then prints the answer through the call's --jq filter, if it has one,
# with the real jq, as gh does.
fake_gh() {
    {
        echo '#!/usr/bin/env bash'
        cat
        cat <<'FAKE'
jq_filter=""
previous=""
for argument in "$@"; do
    [ "$previous" = --jq ] && jq_filter=$argument
    previous=$argument
done
if [ -n "$jq_filter" ]; then jq -r "$jq_filter" <<<"$answer"; else echo "$answer"; fi
FAKE
    } >"$work/bin/gh"
    chmod +x "$work/bin/gh"
}

# render_user_data TEMPLATE OUT NAME=VALUE...: renders a Terraform first-boot template as Terraform would (each
# ${NAME} gets its VALUE; $${ is a literal ${ for the shell), then checks OUT is a bash script that parses.
render_user_data() {
    local template=$1 out=$2
    shift 2
    python3 - "$template" "$out" "$@" <<'PY'
import re, sys
template, out, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
values = dict(pair.split("=", 1) for pair in pairs)
text = open(template).read().replace("$${", "\x00")
text = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)
open(out, "w").write(text.replace("\x00", "${"))
PY
    head -n 1 "$out" | grep -qx '#!/bin/bash' || { echo "$template must start with #!/bin/bash" >&2; return 1; }
    bash -n "$out"
}
