#!/usr/bin/env python3
"""Turns bench-results/results.json into a terminal table, a verdict on each performance target, and a
self-contained SVG chart (latency percentiles and throughput per scenario).

    python3 scripts/bench/report.py RESULTS.json REPORT.svg
"""
import json
import math
import sys
from xml.sax.saxutils import escape

ORDER = ["cached", "cached_redis", "cached_redis_tls", "cached_redis_cluster", "uncached", "detail", "mixed", "write", "loan", "static"]
LABELS = {"cached": "cached listing", "cached_redis": "cached, Redis tier only", "cached_redis_tls": "cached, Redis tier over TLS",
          "cached_redis_cluster": "cached, Redis tier on a 3-primary cluster", "uncached": "uncached listing", "detail": "single book",
          "mixed": "mixed (Zipf + 2% writes)", "write": "create book", "loan": "loan, then its return",
          "static": "nginx static file"}
PERCENTILES = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p99_9", "p99.9")]
COLORS = ["#4e79a7", "#59a14f", "#f28e2b", "#e15759"]


def present(results):
    """The scenarios a results file holds, in table order (older files lack the Redis-tier one)."""
    return [name for name in ORDER if name in results["scenarios"]]


def share(value):
    return "-" if value is None else f"{value:.1%}"


def cpu(result):
    """Server + Redis CPU microseconds per request (0 when the run predates the measure)."""
    return result.get("cpu_us_per_request", {}).get("total", 0)


def server_cpu(result):
    """Server CPU microseconds per request alone (0 when the run predates the measure)."""
    return result.get("cpu_us_per_request", {}).get("server", 0)


LARGE_BOUND_MS = {"sqlite": 25, "postgres": 50}
PAST_THE_END_MS = 25


def large_stores(results):
    """{store: {"seed_seconds", "server_peak_rss_mb", "queries"}} of the large-catalog runs (older files: SQLite only)."""
    large = results.get("large_catalog")
    if not large:
        return {}
    return large.get("stores") or {"sqlite": {"queries": large["queries"]}}


def targets(results):
    """Issue #45's targets, and #30's that it keeps (each ratio to nginx or to another tier taken in the same run)."""
    s = results["scenarios"]
    rows = [
        ("cached req/s >= 0.45 x nginx static (same run)", s["cached"]["requests_per_second"], 0.45 * s["static"]["requests_per_second"], ">="),
        ("cached p99 <= 1.5 x nginx's p99 (same run)", s["cached"]["latency_ms"]["p99"], 1.5 * s["static"]["latency_ms"]["p99"], "<="),
        ("cached server CPU/hit <= 2 x nginx's CPU/request (same run)", server_cpu(s["cached"]), 2 * cpu(s["static"]), "<="),
        ("Redis-tier hit CPU (server + Redis) <= 1.5 x the memory tier's (same run)", cpu(s["cached_redis"]), 1.5 * cpu(s["cached"]), "<="),
        ("single book req/s >= cached listing's", s["detail"]["requests_per_second"], s["cached"]["requests_per_second"], ">="),
        ("uncached req/s >= 700", s["uncached"]["requests_per_second"], 700, ">="),
        ("SQLite uncached listing CPU/request <= 400 us", cpu(s["uncached"]), 400, "<="),
        ("SQLite create book req/s >= 5,000 (every commit synced)", s["write"]["requests_per_second"], 5000, ">="),
        ("SQLite create book p50 <= 3 ms", s["write"]["latency_ms"]["p50"], 3, "<="),
        ("mixed req/s >= 5,100", s["mixed"]["requests_per_second"], 5100, ">="),
        ("mixed hit ratio >= 90%", 100 * (s["mixed"].get("hit_ratio") or 0), 90, ">="),
        ("server peak RSS <= 150 MB", results["server_peak_rss_mb"], 150, "<="),
    ]
    postgres = results.get("postgres_scenarios") or {}
    if "write" in postgres:
        rows.append(("PostgreSQL create book req/s >= 3,000 (synchronous_commit on)", postgres["write"]["requests_per_second"], 3000, ">="))
        rows.append(("PostgreSQL create book p50 <= 6 ms", postgres["write"]["latency_ms"]["p50"], 6, "<="))
    if "uncached" in postgres:
        rows.append(("PostgreSQL uncached listing CPU/request (server + database) <= 600 us", cpu(postgres["uncached"]), 600, "<="))
    if "cached_redis_tls" in s:
        # Per hit, server and Redis CPU together, against the plain single node measured before and after them.
        plain = (cpu(s["cached_redis"]) + cpu(s.get("cached_redis_again", s["cached_redis"]))) / 2
        rows.append(("Redis-tier hit over TLS: CPU/hit <= 1.3 x plain TCP's (same run)", cpu(s["cached_redis_tls"]), 1.3 * plain, "<="))
        rows.append(("Redis-tier hit on a 3-primary cluster: CPU/hit <= 1.2 x one node's (same run)", cpu(s["cached_redis_cluster"]), 1.2 * plain, "<="))
    books = (results.get("large_catalog") or {}).get("books", 0)
    for store, run in large_stores(results).items():
        name = "SQLite" if store == "sqlite" else "PostgreSQL"
        for query in run["queries"]:
            past_the_end = query.get("status") == 404
            bound = PAST_THE_END_MS if past_the_end else LARGE_BOUND_MS[store]
            what = "404 past the end" if past_the_end else "p50"
            rows.append((f"{name}, {books:,} books, {query['query']}: {what} <= {bound} ms", query["p50_ms"], bound, "<="))
        if "seed_seconds" in run:
            rows.append((f"{name}, {books:,} books: seeded in < 60 s", run["seed_seconds"], 60, "<"))
            rows.append((f"{name}, {books:,} books: server peak RSS <= 150 MB", run["server_peak_rss_mb"], 150, "<="))
    verdicts = []
    for name, value, bound, op in rows:
        met = value >= bound if op == ">=" else (value < bound if op == "<" else value <= bound)
        gap = "" if met else (f"short by {bound - value:,.1f}" if op == ">=" else f"over by {value - bound:,.1f}")
        verdicts.append((name, value, bound, met, gap))
    return verdicts


def large_table(results):
    stores = large_stores(results)
    if not stores:
        return []
    books = results["large_catalog"]["books"]
    names = [name for name, _, _ in STORES if name in stores]
    lines = ["", f"filtered listings over {books:,} books, uncached, p50 ms (one connection):"]
    lines.append(f"{'query':50}" + "".join(f" {label:>12}" for key, label, _ in STORES if key in stores))
    for index, query in enumerate(stores[names[0]]["queries"]):
        line = f"{query['query']:50}"
        for key in names:
            line += f" {stores[key]['queries'][index]['p50_ms']:>12.2f}"
        lines.append(line)
    for key in names:
        run = stores[key]
        if "seed_seconds" in run:
            lines.append(f"{key}: seeded in {run['seed_seconds']} s, server peak resident memory {run['server_peak_rss_mb']} MB")
    return lines


def large_svg(results, top):
    """A panel of the million-book listings' p50 per query, each store's bar against its bound; and its height."""
    stores = large_stores(results)
    if not stores:
        return [], 0
    books = results["large_catalog"]["books"]
    names = [(key, label, color) for key, label, color in STORES if key in stores]
    queries = [query["query"] for query in stores[names[0][0]]["queries"]]
    left, plot_w, row_h = 340, 600, 14
    peak = max(60, max(q["p50_ms"] for run in stores.values() for q in run["queries"]))
    parts = [f'<text x="80" y="{top}" font-size="16" font-weight="bold">{books:,} books: filtered listings, uncached p50 '
             f'(bounds: SQLite 25 ms, PostgreSQL 50 ms)</text>']
    y = top + 16
    for bound, color in [(25, "#4e79a7"), (50, "#f28e2b")]:
        x = left + bound / peak * plot_w
        height = len(queries) * (row_h * len(names) + 6)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + height}" stroke="{color}" stroke-dasharray="4 3"/>')
    for index, query in enumerate(queries):
        parts.append(f'<text x="{left - 10}" y="{y + row_h * len(names) / 2 + 4:.0f}" text-anchor="end">{escape(query)}</text>')
        for key, label, color in names:
            q = stores[key]["queries"][index]
            w = min(q["p50_ms"], peak) / peak * plot_w
            parts.append(f'<rect x="{left}" y="{y}" width="{max(w, 1):.1f}" height="{row_h - 2}" fill="{color}">'
                         f'<title>{label} {escape(query)}: {q["p50_ms"]:.2f} ms</title></rect>')
            parts.append(f'<text x="{left + w + 6:.1f}" y="{y + row_h - 3}" fill="#333" font-size="10">{label} {q["p50_ms"]:.1f} ms</text>')
            y += row_h
        y += 6
    return parts, y - top + 20


def table(results):
    lines = []
    machine = results["machine"]
    settings = results["settings"]
    lines.append(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
                 f"{settings['books']} books, {settings['connections']} connections, {settings['duration_s']} s per scenario")
    lines.append(f"{'scenario':28} {'req/s':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'errors':>7} {'hit ratio':>9} "
                 f"{'CPU µs/req':>11} {'(server':>8} {'+ Redis)':>8} {'from memory':>11}")
    for name in present(results):
        r = results["scenarios"][name]
        lat = r["latency_ms"]
        ratio = r.get("hit_ratio")
        ratio_text = "-" if ratio is None or name == "static" else f"{ratio:.1%}"
        usage = r.get("cpu_us_per_request", {})
        lines.append(f"{LABELS[name]:28} {r['requests_per_second']:>10,.0f} {lat['p50']:>8.2f} {lat['p90']:>8.2f} "
                     f"{lat['p99']:>8.2f} {lat['p99_9']:>9.2f} {r['errors']:>7} {ratio_text:>9} "
                     f"{usage.get('total', 0):>11,.0f} {usage.get('server', 0):>8,.0f} {usage.get('redis', 0):>8,.0f} "
                     f"{share(r.get('memory_tier_share')):>11}")
    lines.append(f"server peak resident memory: {results['server_peak_rss_mb']} MB")
    lines.extend(stores_table(results))
    lines.extend(large_table(results))
    lines.append("")
    lines.append("targets:")
    for name, value, bound, met, gap in targets(results):
        lines.append(f"  {'met   ' if met else 'MISSED'} {name}: {value:,.2f} (bound {bound:,.2f}) {gap}")
    return "\n".join(lines)


STORES = [("sqlite", "SQLite", "#4e79a7"), ("postgres", "PostgreSQL", "#f28e2b")]


def by_store(results):
    """{scenario: {"sqlite": result, "postgres": result}} for the scenarios run on both (BENCH_STORE=postgres)."""
    postgres = results.get("postgres_scenarios") or {}
    return {name: {"sqlite": results["scenarios"][name], "postgres": postgres[name]}
            for name in ORDER if name in postgres and name in results["scenarios"]}


def stores_table(results):
    pairs = by_store(results)
    if not pairs:
        return []
    lines = ["", "both stores, side by side (CPU per request includes the PostgreSQL server's):"]
    if results.get("store_settings"):
        lines.extend(f"  {name}: {text}" for name, text in results["store_settings"].items())
    header = f"{'scenario':28}"
    for _, label, _ in STORES:
        header += f" | {label + ' req/s':>17} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs':>7}"
    lines.append(header)
    for name, runs in pairs.items():
        line = f"{LABELS[name]:28}"
        for key, _, _ in STORES:
            r = runs[key]
            line += (f" | {r['requests_per_second']:>17,.0f} {r['latency_ms']['p50']:>7.2f} {r['latency_ms']['p99']:>7.2f}"
                     f" {cpu(r):>7,.0f}")
        lines.append(line)
    return lines


def stores_svg(results, top):
    """A panel of grouped bars, requests per second per scenario on each store, starting at `top`; and its height."""
    pairs = by_store(results)
    if not pairs:
        return [], 0
    left, plot_w, row_h = 240, 700, 22
    peak = max(runs[key]["requests_per_second"] for runs in pairs.values() for key, _, _ in STORES)
    parts = [f'<text x="80" y="{top}" font-size="16" font-weight="bold">requests per second on each store '
             '(same catalog, same Redis)</text>']
    y = top + 20
    for name, runs in pairs.items():
        parts.append(f'<text x="{left - 10}" y="{y + row_h:.0f}" text-anchor="end">{escape(LABELS[name])}</text>')
        for key, label, color in STORES:
            r = runs[key]
            w = r["requests_per_second"] / peak * plot_w
            parts.append(f'<rect x="{left}" y="{y}" width="{max(w, 1):.1f}" height="{row_h - 4}" fill="{color}">'
                         f'<title>{label} {escape(LABELS[name])}: {r["requests_per_second"]:,.0f}/s, '
                         f'p99 {r["latency_ms"]["p99"]:.2f} ms</title></rect>')
            parts.append(f'<text x="{left + w + 6:.1f}" y="{y + row_h - 8}" fill="#333">{label}: '
                         f'{r["requests_per_second"]:,.0f}/s, p99 {r["latency_ms"]["p99"]:.2f} ms</text>')
            y += row_h
        y += 10
    return parts, y - top + 20


def svg(results):
    verdicts = targets(results)
    # The targets are listed beside the latency chart; the panels below start after the longer of the two.
    below = max(560, 60 + 110 + 18 * (len(verdicts) + 2))
    store_parts, store_height = stores_svg(results, below)
    large_parts, large_height = large_svg(results, below + store_height + (40 if store_height else 0))
    width = 1180
    height = below - 40 + store_height + (40 if store_height else 0) + large_height + (40 if large_height else 0)
    left, top, plot_w, plot_h = 80, 60, 560, 360
    names = [n for n in present(results) if n != "write"] + ["write"]
    values = [results["scenarios"][n]["latency_ms"][key] for n in names for key, _ in PERCENTILES]
    low = 10 ** math.floor(math.log10(max(min(v for v in values if v > 0), 0.01)))
    high = 10 ** math.ceil(math.log10(max(values)))

    def y(value):
        value = max(value, low)
        return top + plot_h - (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low)) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{left}" y="28" font-size="16" font-weight="bold">bookcat: latency percentiles per scenario (log scale)</text>',
             f'<text x="{left}" y="46" fill="#555">{results["machine"]["cpu"]}, {results["machine"]["cores"]} cores; '
             f'{results["settings"]["books"]} books, {results["settings"]["connections"]} connections</text>']
    decade = low
    while decade <= high:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(decade):.1f}" y2="{y(decade):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{y(decade) + 4:.1f}" text-anchor="end">{decade:g} ms</text>')
        decade *= 10
    group_w = plot_w / len(names)
    bar_w = group_w / (len(PERCENTILES) + 1)
    for i, name in enumerate(names):
        lat = results["scenarios"][name]["latency_ms"]
        for j, (key, _) in enumerate(PERCENTILES):
            x = left + i * group_w + (j + 0.5) * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{y(lat[key]):.1f}" width="{bar_w - 2:.1f}" height="{top + plot_h - y(lat[key]):.1f}" '
                         f'fill="{COLORS[j]}"><title>{escape(LABELS[name])} {key}: {lat[key]:.2f} ms</title></rect>')
        parts.append(f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{name}</text>')
        rps = results["scenarios"][name]["requests_per_second"]
        parts.append(f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{top + plot_h + 32}" text-anchor="middle" fill="#555">{rps:,.0f}/s</text>')
    for j, (_, label) in enumerate(PERCENTILES):
        parts.append(f'<rect x="{left + plot_w + 30}" y="{top + j * 22}" width="14" height="14" fill="{COLORS[j]}"/>')
        parts.append(f'<text x="{left + plot_w + 50}" y="{top + j * 22 + 12}">{label}</text>')
    ty = top + 110
    parts.append(f'<text x="{left + plot_w + 30}" y="{ty}" font-weight="bold">targets</text>')
    for k, (name, value, bound, met, gap) in enumerate(verdicts):
        color = "#2e7d32" if met else "#c62828"
        parts.append(f'<text x="{left + plot_w + 30}" y="{ty + 18 * (k + 1)}" fill="{color}" font-size="11">{"✔" if met else "✘"} {escape(name)}</text>')
    parts.extend(store_parts)
    parts.extend(large_parts)
    parts.append("</svg>")
    return "\n".join(parts)


def main():
    results = json.load(open(sys.argv[1]))
    print(table(results))
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as file:
            file.write(svg(results))
        print(f"\nchart: {sys.argv[2]}")


if __name__ == "__main__":
    main()
