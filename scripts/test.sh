#!/usr/bin/env bash
# Installs what is missing and runs every check: format lint, build, tests, the OpenAPI contract, the README walkthrough.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}" python3 python3-venv shellcheck

echo "==> python tools (.venv)"
[ -x .venv/bin/pip ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check openapi-spec-validator

echo "==> shellcheck"
shellcheck -x scripts/*.sh .ci/run

echo "==> swift format lint"
swift format lint --strict --recursive Sources Tests Package.swift

echo "==> OpenAPI document"
.venv/bin/openapi-spec-validator REST_API_SPEC.yaml

echo "==> build"
swift build --build-tests

echo "==> tests"
swift test

echo "==> README walkthrough against a live server"
scripts/check-walkthrough.sh

echo "all checks passed"
