#!/usr/bin/env bash
# Checks the running service against REST_API_SPEC.yaml with schemathesis: every operation, examples, coverage,
# fuzzing and the stateful link-following phase, with all checks; then once more without the project's settings,
# for server errors only. Starts Redis and the server on free ports with a
# seeded database (scripts/with-server.sh), and stops both. Expects .venv with schemathesis (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${BOOKCAT_URL:-}" ]; then exec scripts/with-server.sh "$0"; fi

bookcat=.build/debug/bookcat
# The accounts the spec's examples use, so example requests can succeed.
printf '%s\n' 'admin password 1' | $bookcat user create --email admin@example.org --password-stdin --admin >/dev/null
printf '%s\n' 'correct horse 1' | $bookcat user create --email ada@example.org --username ada --password-stdin >/dev/null

base="$BOOKCAT_URL/api/v1"
token=$(curl -sS --fail-with-body -X POST "$base/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "admin@example.org", "password": "admin password 1"}' | jq -r .access_token)
# A tag and a book, so reads by the examples' ids find something.
curl -sS --fail-with-body -X POST "$base/tags" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name": "seed"}' >/dev/null
curl -sS --fail-with-body -X POST "$base/books" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"title": "Seed", "author": "Seeder", "isbn": "9780000000001", "published_at": "2000-01-01", "stock": 1000, "tags": [1]}' >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Runs schemathesis on the spec against the server with ARGUMENTS added; prints its log if it fails, else the
# summary (phases, operations and the closing line).
schemathesis_run() {
    local status=0
    NO_COLOR=1 .venv/bin/schemathesis "$@" \
        --url "$base" \
        -H "Authorization: Bearer $token" \
        --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
        --seed "${SCHEMATHESIS_SEED:-20261121}" \
        --request-timeout 10 \
        >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$log"
        exit "$status"
    fi
    sed -n '/SUMMARY/,$p' "$log"
}

# With the project's settings, every check; the hooks fold the spec's documented leniencies (x-also-accepted) into
# the schema schemathesis tests.
PYTHONPATH=scripts/checks SCHEMATHESIS_HOOKS=schemathesis_hooks \
    schemathesis_run --config-file schemathesis.toml run REST_API_SPEC.yaml --checks all

# Again as an outsider would run it, without this project's settings or hooks: whatever it sends, inside the
# schema or not, no answer is a server error.
schemathesis_run run REST_API_SPEC.yaml --checks not_a_server_error
