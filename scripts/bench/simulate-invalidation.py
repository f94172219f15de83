#!/usr/bin/env python3
"""How often the mixed scenario's reads would hit if a write cleared only the pages holding the book it changed,
against clearing everything (what the cache does today): a model, not a measurement.

It runs the 500 queries `scenario.lua` draws from against a catalog seeded as `scripts/bench.sh` seeds it, to learn
which books each page holds, then replays Zipf-distributed reads with 2% stock changes of random books, filling
every miss at once.

    bookcat seed --books 500 --tags 50 --seed 1   # with DATABASE_PATH=CATALOG
    python3 scripts/bench/simulate-invalidation.py CATALOG
"""
import random
import sqlite3
import sys

ORDERINGS = ["title", "-title", "published_at", "-published_at", "created_at", "-created_at"]
WORDS = ["River", "Garden", "Empire", "Winter", "Silent", "Golden", "Hidden", "Storm"]
PAGE_SIZES = [10, 20, 50]
TAGS, BOOKS, QUERIES = 50, 500, 500


def combination(k):
    """The k-th query, as scenario.lua's combination(k) builds it."""
    query = {"page_size": PAGE_SIZES[k % 3], "order_by": ORDERINGS[k % 6], "tags": [], "page": 1}
    if k % 3 == 0:
        query["title"] = WORDS[k % 8]
    if k % 4 == 1:
        query["tags"] = [(k % TAGS) + 1]
    if k % 5 == 2:
        query["tags"] += [(k % TAGS) + 1, ((k + 7) % TAGS) + 1]
    if k % 3 != 0 and k % 4 != 1 and k % 5 != 2:
        query["page"] = (k % 3) + 1
    return query


def page_books(db, query):
    """The ids of the books on the query's page (tags combine with `or`, as the scenario asks)."""
    where, arguments = [], []
    if "title" in query:
        where.append("title LIKE ?")
        arguments.append(f"%{query['title']}%")
    if query["tags"]:
        where.append(f"id IN (SELECT book_id FROM book_tag WHERE tag_id IN ({','.join(map(str, query['tags']))}))")
    column = query["order_by"].lstrip("-")
    direction = "DESC" if query["order_by"].startswith("-") else "ASC"
    size = query["page_size"]
    sql = (f"SELECT id FROM book {'WHERE ' + ' AND '.join(where) if where else ''} "
           f"ORDER BY {column} {direction}, id {direction} LIMIT {size} OFFSET {(query['page'] - 1) * size}")
    return {row[0] for row in db.execute(sql, arguments)}


def hit_ratio(pages, per_book, requests=400_000, seed=1):
    random.seed(seed)
    weights = [1 / rank for rank in range(1, QUERIES + 1)]
    cached, hits, misses = set(), 0, 0
    for key in random.choices(range(1, QUERIES + 1), weights=weights, k=requests):
        if random.random() < 0.02:
            book = random.randint(1, BOOKS)
            cached = {k for k in cached if book not in pages[k]} if per_book else set()
        elif key in cached:
            hits += 1
        else:
            misses += 1
            cached.add(key)
    return hits / (hits + misses)


def main():
    db = sqlite3.connect(sys.argv[1])
    pages = {k: page_books(db, combination(k)) for k in range(1, QUERIES + 1)}
    print(f"books per page: {sum(map(len, pages.values())) / QUERIES:.1f} on average")
    print(f"every write clears everything: hit ratio {hit_ratio(pages, per_book=False):.1%}")
    print(f"a write clears the pages holding its book: hit ratio {hit_ratio(pages, per_book=True):.1%}")


if __name__ == "__main__":
    main()
