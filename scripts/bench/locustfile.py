"""The benchmark's scenarios for Locust users: cached, uncached, mixed and detail.

    pip install locust
    BOOKCAT_EMAIL=bench@example.org BOOKCAT_PASSWORD='bench password 1' \
        locust -f scripts/bench/locustfile.py --host http://127.0.0.1:8000 CachedListing UncachedListing

Each user class is one scenario; run them one at a time to compare, as scripts/bench.sh does with wrk.
The account must exist (e.g. `bookcat user create --admin ...`); BOOKCAT_BOOKS and BOOKCAT_TAGS say how large the
seeded catalog is.
"""
import itertools
import os
import random

from locust import HttpUser, between, task

BOOKS = int(os.environ.get("BOOKCAT_BOOKS", "500"))
TAGS = int(os.environ.get("BOOKCAT_TAGS", "50"))
ORDERINGS = ["title", "-title", "published_at", "-published_at", "created_at", "-created_at"]
WORDS = ["River", "Garden", "Empire", "Winter", "Silent", "Golden", "Hidden", "Storm"]


def combinations():
    """Many distinct filter combinations, every one asking for a page that exists."""
    for k in itertools.count():
        query = {"page_size": [10, 20, 50][k % 3], "order_by": ORDERINGS[k % len(ORDERINGS)]}
        if k % 3 == 0:
            query["title"] = WORDS[k % len(WORDS)]
        if k % 4 == 1:
            query["tag"] = (k % TAGS) + 1
        yield query


ZIPF_POOL = list(itertools.islice(combinations(), 500))
ZIPF_WEIGHTS = [1 / (rank + 1) for rank in range(len(ZIPF_POOL))]


class BookcatUser(HttpUser):
    abstract = True
    wait_time = between(0, 0)

    def on_start(self):
        response = self.client.post("/api/v1/auth/login", json={
            "email": os.environ.get("BOOKCAT_EMAIL", "bench@example.org"),
            "password": os.environ.get("BOOKCAT_PASSWORD", "bench password 1"),
        })
        response.raise_for_status()
        self.client.headers["Authorization"] = "Bearer " + response.json()["access_token"]


class CachedListing(BookcatUser):
    @task
    def listing(self):
        self.client.get("/api/v1/books?page_size=100", name="cached listing")


class UncachedListing(BookcatUser):
    @task
    def listing(self):
        self.client.get("/api/v1/books?page_size=100", headers={"Cache-Control": "no-store"}, name="uncached listing")


class Detail(BookcatUser):
    @task
    def book(self):
        self.client.get(f"/api/v1/books/{random.randint(1, BOOKS)}", name="/api/v1/books/{id}")


class Mixed(BookcatUser):
    @task(98)
    def read(self):
        query = random.choices(ZIPF_POOL, weights=ZIPF_WEIGHTS)[0]
        self.client.get("/api/v1/books", params=query, name="mixed listing")

    @task(2)
    def write(self):
        self.client.patch(f"/api/v1/books/{random.randint(1, BOOKS)}", json={"stock": random.randint(0, 20)}, name="change stock")
