"""Checks that three replicas of bookcat on one PostgreSQL and one Redis behave as one service.

Usage: replicas.py URL1 URL2 URL3 (an admin admin@example.org / "admin password 1" exists).
Exits non-zero, naming the broken promise, when one fails.
"""

import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

replicas = sys.argv[1:]
assert len(replicas) == 3, "give the three replicas' URLs"


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
