#!/usr/bin/env bash
# `bookcat user create` takes the password from exactly one place: standard input, a file, or the argument (which
# warns, as it shows in the process list and shell history). Each account then logs in with exactly the password
# given (the first line, without its newline). Runs against a live server: scripts/with-server.sh scripts/tests/cli-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tests/fakes.sh
[ -n "${BOOKCAT_URL:-}" ] || exec scripts/with-server.sh "$0"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/calls.log"
bookcat=.build/debug/bookcat
run() {
    set +e
    "$@" >"$work/out.log" 2>&1
    status=$?
    set -e
}
logs_in() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BOOKCAT_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\": \"$1\", \"password\": \"$2\"}")" = 200 ]
}

run bash -c "printf '%s\n' 'stdin password 1' | $bookcat user create --email stdin@example.org --password-stdin"
check "--password-stdin creates the account" [ "$status" -eq 0 ]
check "--password-stdin does not warn" not_in_output "warning"
check "the account logs in with the first line of stdin" logs_in stdin@example.org 'stdin password 1'

printf 'file password 1\r\nnot part of it\n' >"$work/password"
run "$bookcat" user create --email file@example.org --password-file "$work/password"
check "--password-file creates the account" [ "$status" -eq 0 ]
check "the account logs in with the file's first line" logs_in file@example.org 'file password 1'

run "$bookcat" user create --email argument@example.org --password 'argument password 1'
check "--password still works for scripts" [ "$status" -eq 0 ]
check "--password warns where the password shows" grep -q "shows in the process list" "$work/out.log"
check "the account logs in with the argument" logs_in argument@example.org 'argument password 1'

run "$bookcat" user create --email two@example.org --password 'two password 1' --password-stdin </dev/null
check "two password sources are refused" [ "$status" -ne 0 ]
check "it says to give the password one way" grep -q "give the password one way" "$work/out.log"
run "$bookcat" user create --email none@example.org </dev/null
check "no password source is refused" [ "$status" -ne 0 ]
run "$bookcat" user create --email file@example.org --password-file "$work/password"
check "an account that exists is refused" [ "$status" -eq 1 ]
check "it says why, as an error" grep -q "^Error: .*already" "$work/out.log"
check "without a usage text under it: the command line was right" bash -c "! grep -q 'Usage:' '$work/out.log'"

report "bookcat user create"
