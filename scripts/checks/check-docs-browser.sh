#!/usr/bin/env bash
# Opens /docs in a real headless browser (Debian's Chromium) on a machine with no internet as far as the browser
# knows (every host but the server's resolves to nothing), and checks that Swagger UI rendered every operation of
# the spec. Before Swagger UI was vendored, /docs was a blank page here.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

if [ -z "${BOOKCAT_URL:-}" ]; then
    ensure_apt_packages chromium
    exec scripts/with-server.sh "$0"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The operations the spec defines: what the page must show.
expected=$(grep -cE '^      operationId: ' REST_API_SPEC.yaml)

# --virtual-time-budget lets the page's scripts run to completion before the DOM is dumped.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/profile" --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --virtual-time-budget=20000 --dump-dom "$BOOKCAT_URL/docs" >"$work/dom.html" 2>"$work/chromium.log" || {
    echo "chromium failed to load /docs" >&2
    tail -20 "$work/chromium.log" >&2
    exit 1
}

rendered=$(grep -o 'class="opblock opblock-' "$work/dom.html" | wc -l)
title=$(grep -o 'bookcat API' "$work/dom.html" | head -1 || true)
if [ "$rendered" -ne "$expected" ] || [ -z "$title" ]; then
    echo "/docs in headless Chromium rendered $rendered of $expected operations (title: '${title:-none}')" >&2
    grep -o '<div id="swagger-ui">.\{0,400\}' "$work/dom.html" >&2 || true
    exit 1
fi
echo "/docs: headless Chromium, offline, rendered all $expected operations of the spec"
