# shellcheck shell=bash disable=SC2154  # `work` is set by the sourcing test
# Assertions for the behaviour tests that run a script against recording fakes; source it, don't run it.
# The sourcing test sets `work` (a temporary folder): the fakes append each call to $work/calls.log, and the script
# under test writes its output to $work/out.log.

passed=0
failed=0

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

# report NAME: prints the tally and fails when any check failed.
report() {
    echo "$1 tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# Whether the output of the script under test lacks TEXT.
not_in_output() { ! grep -qF -- "$1" "$work/out.log"; }

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
