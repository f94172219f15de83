#!/usr/bin/env bash
# Installs what is missing, builds, and serves the API on http://127.0.0.1:8000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}"
echo "==> building"
swift build --product bookcat
echo "==> serving (configuration: environment variables or .env, see README)"
exec .build/debug/bookcat serve
