#!/usr/bin/env bash
# The mixed load (scripts/bench/scenario.lua, SCENARIO=mixed: Zipf reads over hundreds of filter combinations plus 2%
# stock changes, each of which drops the memory tier's bodies showing its book) against a fresh server, long enough to
# fill and churn the memory tier many times over, with the server's resident set, its anonymous part (the heap, less
# the binary's code pages, which a debug build touches for minutes) and the cache's gauges of what it holds in memory
# (docs/cache.md, "Metrics") sampled every 10 s. Fails when the anonymous part grows over the second
# half by more than SOAK_MAX_ANON_GROWTH_MB or the resident set by more than SOAK_MAX_RSS_GROWTH_MB, when
# the memory tier counts more than CACHE_MEMORY_MB, when its order of stores holds more stale records than its bound,
# or when a gauge is missing. Prints every sample, so a failure says what grew.
#
# Settings (environment): SOAK_SECONDS (240), SOAK_MAX_ANON_GROWTH_MB (2), SOAK_MAX_RSS_GROWTH_MB (8), SOAK_BOOKS
# (500), SOAK_CONNECTIONS (16), CACHE_MEMORY_MB (the server's, 32 by default). The server is the test command's
# debug build, run unprivileged by scripts/with-server.sh; the same load on a release build churns about fifteen
# times faster (docs/benchmark/soak.md has such a run).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

if [ -z "${BOOKCAT_URL:-}" ]; then
    ensure_apt_packages wrk
    exec scripts/with-server.sh "$0" "$@"
fi

seconds=${SOAK_SECONDS:-240}
max_anon_mb=${SOAK_MAX_ANON_GROWTH_MB:-2}
max_rss_mb=${SOAK_MAX_RSS_GROWTH_MB:-8}
books=${SOAK_BOOKS:-500}
connections=${SOAK_CONNECTIONS:-16}
budget_mb=${CACHE_MEMORY_MB:-32}
say() { echo "soak: $*"; }

.build/debug/bookcat seed --books "$books" --tags 50 --seed 1 </dev/null >/dev/null
printf '%s\n' 'soak password 1' | .build/debug/bookcat user create --email soak@example.org --password-stdin --admin >/dev/null
token=$(curl -sS --fail-with-body -X POST "$BOOKCAT_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "soak@example.org", "password": "soak password 1"}' | jq -r .access_token)

# Every value of one scrape, in the order of `names`; "-" for a gauge the server does not report.
names=(process_resident_memory_bytes process_resident_anonymous_bytes cache_memory_bytes cache_memory_entries cache_memory_order_records
    cache_memory_index_listings cache_memory_changed_books cache_misses_total cache_book_invalidations_total)
scrape() {
    curl -sS "$BOOKCAT_URL/metrics" | awk -v list="${names[*]}" '
        BEGIN { n = split(list, wanted, " ") }
        { value[$1] = $2 }
        END { for (i = 1; i <= n; i++) printf "%s ", (wanted[i] in value) ? sprintf("%d", value[wanted[i]]) : "-"; print "" }'
}

samples=$(mktemp)
# shellcheck disable=SC2317  # called by the EXIT trap
stop_load() { [ -z "${load_pid:-}" ] || kill "$load_pid" 2>/dev/null || true; rm -f "$samples"; }
trap stop_load EXIT
# The access token outlives the run (15 minutes by default); wrk's own duration ends the load.
SCENARIO=mixed TOKEN=$token BOOKS=$books TAGS=50 OUT=/dev/null \
    wrk -t2 -c"$connections" -d"$((seconds + 5))s" --timeout 10s -s scripts/bench/scenario.lua "$BOOKCAT_URL" >/dev/null &
load_pid=$!
say "mixed load for $seconds s at $connections connections over $books books, memory tier $budget_mb MB"
for ((elapsed = 0; elapsed <= seconds; elapsed += 10)); do
    [ "$elapsed" -eq 0 ] || sleep 10
    echo "$elapsed $(scrape)" >>"$samples"
done
wait "$load_pid" || true
load_pid=""

python3 - "$samples" "$max_anon_mb" "$max_rss_mb" "$budget_mb" "${names[@]}" <<'PY'
import sys
path, max_anon, max_rss, budget, names = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
rows = []
for line in open(path):
    fields = line.split()
    rows.append({"s": int(fields[0]), **{name: (None if value == "-" else int(value)) for name, value in zip(names, fields[1:])}})
mb = lambda value: value / 1048576 if value is not None else float("nan")
print("soak:    s   RSS MB  anon MB  tier MB  entries  order  index  changed   misses  book changes")
for row in rows:
    print(f"soak: {row['s']:>4} {mb(row['process_resident_memory_bytes']):8.1f} {mb(row['process_resident_anonymous_bytes']):8.1f} {mb(row['cache_memory_bytes']):8.1f}"
          f" {row['cache_memory_entries']!s:>8} {row['cache_memory_order_records']!s:>6} {row['cache_memory_index_listings']!s:>6}"
          f" {row['cache_memory_changed_books']!s:>8} {row['cache_misses_total']!s:>8} {row['cache_book_invalidations_total']!s:>13}")
failures = []
missing = sorted({name for row in rows[1:] for name in names if row.get(name) is None})
if missing:
    failures.append(f"the server does not report {', '.join(missing)} on /metrics")
second_half = rows[len(rows) // 2:]
def growth(name):
    values = [row[name] for row in second_half if row.get(name) is not None]
    return mb(max(values) - values[0]) if values else 0.0
heap, rss = growth("process_resident_anonymous_bytes"), growth("process_resident_memory_bytes")
if heap > max_anon:
    failures.append(f"the anonymous resident set grew {heap:.1f} MB over the second half, more than {max_anon:g} MB")
if rss > max_rss:
    failures.append(f"the resident set grew {rss:.1f} MB over the second half, more than {max_rss:g} MB")
# NearCache compacts its order once stale records outnumber the entries, as it stores (drops only remove entries).
most_entries = max((row.get("cache_memory_entries") or 0) for row in rows)
for row in rows:
    tier, order = row.get("cache_memory_bytes"), row.get("cache_memory_order_records")
    if tier is not None and mb(tier) > budget:
        failures.append(f"at {row['s']} s the memory tier counted {mb(tier):.1f} MB, more than CACHE_MEMORY_MB={budget:g}")
    if order is not None and order > 64 + 2 * most_entries + 1:
        failures.append(f"at {row['s']} s the order of stores held {order} records, for at most {most_entries} entries")
for failure in failures[:10]:
    print(f"soak: FAILED: {failure}", file=sys.stderr)
if failures:
    sys.exit(1)
print(f"soak: passed: over the second half the anonymous resident set grew {heap:.1f} MB (at most {max_anon:g}) and the resident set"
      f" {rss:.1f} MB (at most {max_rss:g}); it ended at {mb(rows[-1]['process_resident_memory_bytes']):.1f} MB")
PY
