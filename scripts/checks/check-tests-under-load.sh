#!/usr/bin/env bash
# Runs the Swift tests again beside a CPU hog (stress-ng, four workers per core), as on a shared runner or a machine
# busy with other work: a test that rests on a wall-clock timeout, lease or deadline shorter than what a loaded
# machine can hold a reply up fails here, not on a contributor's first push. The load it ran under is printed.
# Expects the test bundle built (scripts/test.sh builds it first).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

ensure_apt_packages stress-ng
workers=$((4 * $(nproc)))
stress-ng --cpu "$workers" --timeout 3600s --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true' EXIT
status=0
as_unprivileged .build/debug/bookcatPackageTests.xctest --testing-library swift-testing || status=$?
echo "tests under load: $workers stress-ng workers on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
exit "$status"
