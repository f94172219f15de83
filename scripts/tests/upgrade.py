"""The API's half of the upgrade check (scripts/checks/check-copy.sh): what users did on SQLite, and that it is all still
there, the same, after `bookcat copy` moved the catalog to PostgreSQL.

Usage:
  upgrade.py before URL STATE   uses the service on SQLite and writes what it saw to STATE (JSON)
  upgrade.py after URL STATE BOOKS    checks the same through the service on PostgreSQL
An admin admin@example.org / "admin password 1" exists. Exits non-zero, naming the broken promise, when one fails.
"""

import json
import sys
import urllib.error
import urllib.request

phase, base, state_path = sys.argv[1:4]


def call(method, path, body=None, token=None):
    """Returns (status, parsed JSON body or None)."""
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def check(condition, message):
    if not condition:
        print(f"upgrade: FAILED ({phase}): {message}", file=sys.stderr)
        sys.exit(1)


def login(email, password):
    status, body = call("POST", "/api/v1/auth/login", {"email": email, "password": password})
    check(status == 200, f"login of {email} answered {status}: {body}")
    return body


# Pages a reader would have bookmarked: filtered, ordered and deep, plus the unfiltered count.
PAGES = [
    "/api/v1/books?page_size=5",
    "/api/v1/books?title=an&order_by=-published_at&page=7&page_size=20",
    "/api/v1/books?author=a&tag=1&tag=2&tag_option=or&order_by=title&page=3&page_size=50",
    "/api/v1/books?tag=3&tag=4&tag_option=and&order_by=-created_at",
]


def snapshot(admin, member):
    _, me = call("GET", "/api/v1/users/me", token=member)
    _, loans = call("GET", "/api/v1/loans", token=member)
    _, tags = call("GET", "/api/v1/tags", token=admin)
    pages = {}
    for path in PAGES:
        status, page = call("GET", path, token=admin)
        check(status == 200, f"GET {path} answered {status}: {page}")
        pages[path] = page
    return {"me": me, "loans": loans, "tags": tags, "pages": pages}


if phase == "before":
    admin = login("admin@example.org", "admin password 1")["access_token"]
    status, body = call("POST", "/api/v1/users", {"email": "Moving@Example.org", "username": "mover", "password": "moving day 1"})
    check(status == 201, f"signup answered {status}: {body}")
    session = login("moving@example.org", "moving day 1")
    member = session["access_token"]
    status, page = call("GET", "/api/v1/books?order_by=title&page_size=50", token=member)
    check(status == 200, f"the first page answered {status}: {page}")
    stocked = sorted(page["results"], key=lambda book: -book["stock"])[:2]
    for book, quantity in zip(stocked, [2, 1]):
        status, loan = call("POST", "/api/v1/loans", {"book_id": book["book_id"], "quantity": quantity}, member)
        check(status == 201, f"borrowing book {book['book_id']} answered {status}: {loan}")
    status, _ = call("PATCH", f"/api/v1/loans/{loan['loan_id']}", {"is_returned": True}, member)
    check(status == 200, f"returning loan {loan['loan_id']} answered {status}")
    state = snapshot(admin, member)
    state["refresh_token"] = session["refresh_token"]
    with open(state_path, "w") as file:
        json.dump(state, file)
    print(f"upgrade: on SQLite, {len(state['loans'])} loans and {len(PAGES)} listing pages recorded")
    sys.exit(0)

with open(state_path) as file:
    before = json.load(file)

# The same password logs in: the hash moved as it was.
admin = login("admin@example.org", "admin password 1")["access_token"]
member = login("moving@example.org", "moving day 1")["access_token"]
# A session from before the move goes on: its refresh token rotates on the new store.
status, pair = call("POST", "/api/v1/token/refresh", {"refresh_token": before["refresh_token"]})
check(status == 200, f"refreshing a session from before the copy answered {status}: {pair}")
after = snapshot(admin, member)
for part in ["me", "loans", "tags"]:
    check(after[part] == before[part], f"{part} differs after the copy:\n  before {before[part]}\n  after  {after[part]}")
for path in PAGES:
    check(after["pages"][path] == before["pages"][path], f"GET {path} differs after the copy")
print(f"upgrade: the account, its loans, the tags and {len(PAGES)} listing pages read the same on PostgreSQL")

# The new store goes on from where the old one stopped: new rows do not clash with copied ids.
status, book = call(
    "POST", "/api/v1/books",
    {"title": "After the move", "author": "Ada", "isbn": "9780000000024", "published_at": "2026-11-23", "stock": 1},
    admin,
)
check(status == 201, f"creating a book after the copy answered {status}: {book}")
_, newest = call("GET", "/api/v1/books?order_by=-created_at&page_size=1", token=admin)
check(newest["results"][0]["book_id"] == book["book_id"], "the new book is not the newest")
check(book["book_id"] > int(sys.argv[4]), f"a new book got id {book['book_id']}, one a copied book may hold")
status, body = call("POST", "/api/v1/users", {"email": "new@example.org", "username": "newcomer", "password": "fresh start 1"})
check(status == 201, f"a signup after the copy answered {status}: {body}")
status, body = call("POST", "/api/v1/users", {"email": "MOVING@example.org", "username": "mover2", "password": "moving day 1"})
check(status == 409, f"signing up again with a copied e-mail answered {status}, not 409")
print("upgrade: new books and accounts get new ids; copied e-mails stay taken")
