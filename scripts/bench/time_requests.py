#!/usr/bin/env python3
"""Times N sequential uncached GETs of one URL and prints {"query", "p50_ms", "p90_ms", "status", "count"} as JSON.

A 404 (a page past the end) is an answer like any other: timed, with no count."""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

url, token, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {"Authorization": "Bearer " + token, "Cache-Control": "no-store"}
timings = []
count = None
status = None
for _ in range(runs):
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
        body, status = error.read(), error.code
    timings.append((time.perf_counter() - start) * 1000)
    count = json.loads(body)["count"] if status == 200 else None
timings.sort()
query = urllib.parse.urlparse(url).query or "(no filter)"
print(json.dumps({"query": query, "p50_ms": round(timings[len(timings) // 2], 2),
                  "p90_ms": round(timings[int(len(timings) * 0.9)], 2), "status": status, "count": count}))
