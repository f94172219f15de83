#!/usr/bin/env python3
"""Times N sequential uncached GETs of one URL and prints {"query", "p50_ms", "p90_ms", "count"} as JSON."""
import json
import sys
import time
import urllib.parse
import urllib.request

url, token, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {"Authorization": "Bearer " + token, "Cache-Control": "no-store"}
timings = []
count = None
for _ in range(runs):
    start = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
        body = response.read()
    timings.append((time.perf_counter() - start) * 1000)
    count = json.loads(body)["count"]
timings.sort()
query = urllib.parse.urlparse(url).query or "(no filter)"
print(json.dumps({"query": query, "p50_ms": round(timings[len(timings) // 2], 2),
                  "p90_ms": round(timings[int(len(timings) * 0.9)], 2), "count": count}))
