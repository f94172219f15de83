#!/usr/bin/env bash
# Runs the README's walkthrough, command for command, against a fresh server (scripts/with-server.sh), and checks
# what it prints. Only the port differs: the server listens on a free one instead of 8000.
# Against another server (the compose stack: scripts/checks/check-stack.sh), set BOOKCAT_URL, and BOOKCAT_CLI to the
# command that runs `bookcat` where that server's database is (e.g. `podman exec CONTAINER bookcat`).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${BOOKCAT_URL:-}" ]; then exec scripts/with-server.sh "$0"; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The shell blocks between the walkthrough markers, with the documented address swapped for the test server's.
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' README.md |
    awk '/^```sh$/ {inside = 1; next} /^```$/ {inside = 0; next} inside' |
    sed -e "s|http://127\.0\.0\.1:8000|$BOOKCAT_URL|g" -e "s|\.build/debug/bookcat|${BOOKCAT_CLI:-.build/debug/bookcat}|g" \
        >"$work/walkthrough.sh"
[ -s "$work/walkthrough.sh" ] || { echo "no walkthrough found in README.md" >&2; exit 1; }

fail() {
    echo "README walkthrough failed: $1" >&2
    cat "$work/walkthrough.log" "$work/walkthrough.out" >&2
    exit 1
}
bash -euo pipefail -x "$work/walkthrough.sh" >"$work/walkthrough.out" 2>"$work/walkthrough.log" || fail "a command failed"
# What the README says the commands print: the new admin, the stock after one loan of three copies, the cache's answers.
# (JSON bodies end without a newline, so a value can follow the previous body on the same line.)
tr -d '\r' <"$work/walkthrough.out" | sed 's/^{.*}//' | grep -v '^$' >"$work/printed.txt"
expected=$'created admin admin <admin@example.org> with id 2\n2\nX-Cache: MISS\nX-Cache: HIT\nX-Cache-Tier: memory\nX-Cache: BYPASS\nX-Cache: HIT\nX-Cache-Tier: memory\n10\nX-Cache: MISS'
[ "$(cat "$work/printed.txt")" = "$expected" ] || fail "expected the printed lines to be:
$expected
got:
$(cat "$work/printed.txt")"
echo "README walkthrough: $(grep -cE '^\++ curl' "$work/walkthrough.log") curl commands answered as documented"
