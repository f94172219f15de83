#!/usr/bin/env bash
# Waits until a container reports healthy, with a deadline.
#   health-checker.sh CONTAINER [TIMEOUT_SECONDS]
# Exit 0 when healthy; 1 when it reports unhealthy, stops, or the deadline passes first.
set -euo pipefail

container=${1:?usage: health-checker.sh CONTAINER [TIMEOUT_SECONDS]}
timeout=${2:-${HEALTH_TIMEOUT:-120}}
interval=${HEALTH_INTERVAL:-2}
deadline=$((SECONDS + timeout))

while true; do
    status=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$container" 2>/dev/null || echo "missing")
    case "$status" in
        healthy)
            echo "health: $container is healthy"
            exit 0
            ;;
        unhealthy | exited | dead | missing)
            echo "health: $container is $status" >&2
            exit 1
            ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "health: $container still '$status' after ${timeout}s" >&2
        exit 1
    fi
    sleep "$interval"
done
