"""Checks that three replicas of bookcat on one PostgreSQL and one Redis behave as one service.

Usage: replicas.py URL1 URL2 URL3 PROXY_PID (an admin admin@example.org / "admin password 1" exists; the third
replica reaches Redis through scripts/tests/tcp_proxy.py, whose process is PROXY_PID).
Exits non-zero, naming the broken promise, when one fails.
"""

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

replicas = sys.argv[1:4]
assert len(sys.argv) == 5, "give the three replicas' URLs and the proxy's process id"
proxy_pid = int(sys.argv[4])


def call(base, method, path, body=None, token=None, headers=None):
    """Returns (status, parsed JSON body or None, response headers)."""
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, response.headers
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, error.headers


def check(condition, message):
    if not condition:
        print(f"replicas: FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def login(base, identifier, password, field="email"):
    status, body, _ = call(base, "POST", "/api/v1/auth/login", {field: identifier, "password": password})
    check(status == 200, f"login of {identifier} through {base} answered {status}: {body}")
    return body["access_token"]


admin = login(replicas[0], "admin@example.org", "admin password 1")

# 1. Read-your-writes across replicas: every replica caches the listing, a write lands on one, all read it fresh.
status, tag, _ = call(replicas[0], "POST", "/api/v1/tags", {"name": "replicated"}, admin)
check(status == 201, f"creating a tag answered {status}")
status, book, _ = call(
    replicas[1], "POST", "/api/v1/books",
    {"title": "Version 0", "author": "Ada", "isbn": "9780000000017", "published_at": "2001-01-01", "stock": 10,
     "tags": [tag["tag_id"]]},
    admin,
)
check(status == 201, f"creating a book answered {status}: {book}")
listing = f"/api/v1/books?tag={tag['tag_id']}"
for version in range(1, 7):
    for base in replicas:  # warm every replica's cache (Redis and its memory tier) with the current page
        call(base, "GET", listing, token=admin)
        call(base, "GET", listing, token=admin)
    writer = replicas[version % 3]
    status, _, _ = call(writer, "PATCH", f"/api/v1/books/{book['book_id']}", {"title": f"Version {version}"}, admin)
    check(status == 200, f"PATCH through {writer} answered {status}")
    for base in replicas:
        status, page, headers = call(base, "GET", listing, token=admin)
        title = page["results"][0]["title"] if page and page.get("results") else None
        check(
            title == f"Version {version}",
            f"after a write through {writer}, {base} listed {title!r} (X-Cache: {headers.get('X-Cache')}), not 'Version {version}'",
        )
print("replicas: a write through any replica was read fresh through all three, 6 times over")

# 2. No overselling across replicas: 60 members each borrow one copy of a book with 10, through all three at once.
members = []
for index in range(60):
    base = replicas[index % 3]
    email = f"member{index}@example.org"
    status, _, _ = call(base, "POST", "/api/v1/users", {"email": email, "username": f"member{index}", "password": "member password 1"})
    check(status == 201, f"signup {email} answered {status}")
    members.append((base, login(base, email, "member password 1")))


def borrow(member):
    base, token = member
    return call(base, "POST", "/api/v1/loans", {"book_id": book["book_id"], "quantity": 1}, token)[0]


with ThreadPoolExecutor(max_workers=60) as pool:
    statuses = list(pool.map(borrow, members))
check(statuses.count(201) == 10, f"60 concurrent loans on a stock of 10 gave {statuses.count(201)} loans")
check(statuses.count(409) == 50, f"the other loans should be refused with 409; got {sorted(set(statuses))}")
for base in replicas:
    status, current, _ = call(base, "GET", f"/api/v1/books/{book['book_id']}", token=admin)
    check(current["stock"] == 0, f"{base} shows stock {current['stock']} after 10 loans of 10 copies")
print("replicas: 60 concurrent loans through three replicas on a stock of 10 gave exactly 10")

# 3. The login throttle counts across replicas: 5 wrong passwords, one per replica in turn, lock the account.
for attempt in range(5):
    base = replicas[attempt % 3]
    status, _, _ = call(base, "POST", "/api/v1/auth/login", {"email": "member0@example.org", "password": "wrong password 1"})
    check(status == 401, f"wrong password {attempt + 1} through {base} answered {status}")
for base in replicas:
    status, _, headers = call(base, "POST", "/api/v1/auth/login", {"email": "member0@example.org", "password": "member password 1"})
    check(status == 429, f"after 5 failures spread over the replicas, {base} answered {status}, not 429")
    check(headers.get("Retry-After"), f"{base} locked the account out without a Retry-After")
print("replicas: 5 failed logins spread over three replicas locked the account on all of them")

# 4. A partial partition: the third replica is cut off from Redis (its proxy holds every connection silent) while
# the other two still reach it. What the cut-off one answers must still never be followed by an older page, or by
# a logged-out session's page, on the others.
near, far = replicas[:2], replicas[2]
status, book, _ = call(
    near[0], "POST", "/api/v1/books",
    {"title": "Partition 0", "author": "Ada", "isbn": "9780000000024", "published_at": "2001-01-01", "stock": 5},
    admin,
)
check(status == 201, f"creating a book answered {status}: {book}")
status, session, _ = call(near[0], "POST", "/api/v1/auth/login", {"email": "member1@example.org", "password": "member password 1"})
check(status == 200, f"login of member1 answered {status}")
member = session["access_token"]
listing = "/api/v1/books?title=Partition"


def warm():
    """Every replica that still reaches Redis holds the page in Redis and in memory, and remembers the session."""
    for base in near:
        for _ in range(3):
            status, _, headers = call(base, "GET", listing, token=member)
            check(status == 200, f"{base} answered {status} to a warm-up read")
    check(headers.get("X-Cache-Tier") == "memory", f"{near[-1]} did not serve the warm page from memory: {dict(headers)}")


def read_for(seconds, expect):
    """Reads through both near replicas for `seconds`; every answer must satisfy `expect(status, page)`."""
    reads = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for base in near:
            status, page, headers = call(base, "GET", listing, token=member)
            problem = expect(status, page)
            check(problem is None, f"read {reads + 1} through {base} after the cut-off replica answered: {problem} "
                  f"(X-Cache: {headers.get('X-Cache')}, tier {headers.get('X-Cache-Tier')})")
            reads += 1
    return reads


warm()
os.kill(proxy_pid, signal.SIGUSR1)
time.sleep(0.5)  # let the cut-off replica notice nothing: the partition is silent
started = time.monotonic()
status, _, _ = call(far, "PATCH", f"/api/v1/books/{book['book_id']}", {"title": "Partition 1"}, admin)
waited = time.monotonic() - started
check(status == 200, f"a write through the cut-off replica answered {status}")
reads = read_for(2, lambda status, page: None if status == 200 and page["results"][0]["title"] == "Partition 1"
                 else f"{status}, title {page['results'][0]['title'] if status == 200 else None!r}, not 'Partition 1'")
print(f"replicas: a write through a replica cut off from Redis (answered in {waited:.2f} s) was read fresh by "
      f"the two that still reach it, {reads} reads over 2 s")

status, _, _ = call(far, "POST", "/api/v1/auth/logout", {"refresh_token": session["refresh_token"]}, member)
check(status == 204, f"a logout through the cut-off replica answered {status}")
reads = read_for(2, lambda status, page: None if status == 401 else f"{status}, not 401, for a logged-out session")
print(f"replicas: a logout through the cut-off replica ended the session on the other two at once ({reads} reads, all 401)")

os.kill(proxy_pid, signal.SIGUSR2)
status, _, _ = call(far, "PATCH", f"/api/v1/books/{book['book_id']}", {"title": "Partition 2"}, admin)
check(status == 200, f"a write through the healed replica answered {status}")
for base in replicas:
    status, page, headers = call(base, "GET", listing, token=admin)
    check(page["results"][0]["title"] == "Partition 2", f"after healing, {base} listed {page['results'][0]['title']!r}")
print("replicas: once healed, a write through the formerly cut-off replica was read fresh through all three")
