"""The README walkthrough, step for step, through the Python client openapi-python-client generates from
REST_API_SPEC.yaml (scripts/checks/check-generated-clients.sh puts the generated package on PYTHONPATH).

Each step uses the generated models as a Python user would (`BookInput(isbn="978…", stock=3)`) and checks that the
answer is parsed into the typed model the spec names: no `Any`, no wrapper classes, an `int` stock and a `str` isbn.
The admin account exists already (the script that runs this makes it with `bookcat user create`).

    python walk-generated-client.py BASE_URL
"""

import datetime
import sys
from http import HTTPStatus

from bookcat_client import AuthenticatedClient, Client
from bookcat_client.api.auth import log_in, sign_up
from bookcat_client.api.books import create_book, get_book, list_books, update_book
from bookcat_client.api.loans import create_loan
from bookcat_client.api.tags import create_tag
from bookcat_client.models import (
    Book,
    BookInput,
    BookPage,
    BookPatch,
    ListBooksOrderBy,
    Loan,
    LoanInput,
    LoginRequest,
    Problem,
    SignupRequest,
    Tag,
    TagInput,
    TokenPair,
    User,
)

steps = 0


def step(response, status, model):
    """The response had `status` and was parsed into `model`; returns the parsed value."""
    global steps
    steps += 1
    assert response.status_code == status, f"step {steps}: {response.status_code} {response.content[:300]!r}"
    assert isinstance(response.parsed, model), f"step {steps}: parsed as {type(response.parsed)}, not {model}"
    return response.parsed


def cache_headers(response):
    return [f"{name.lower()}: {value}" for name, value in response.headers.items() if name.lower().startswith("x-cache")]


def main(base):
    anonymous = Client(base_url=base + "/api/v1")

    ada = step(
        sign_up.sync_detailed(
            client=anonymous,
            body=SignupRequest(email="ada@example.org", username="ada", password="correct horse 1"),
        ),
        HTTPStatus.CREATED,
        User,
    )
    assert ada.email == "ada@example.org" and ada.username == "ada"

    tokens = step(
        log_in.sync_detailed(client=anonymous, body=LoginRequest(email="admin@example.org", password="admin password 1")),
        HTTPStatus.OK,
        TokenPair,
    )
    admin = AuthenticatedClient(base_url=base + "/api/v1", token=tokens.access_token)

    tag = step(create_tag.sync_detailed(client=admin, body=TagInput(name="science fiction")), HTTPStatus.CREATED, Tag)
    assert isinstance(tag.tag_id, int)

    book = step(
        create_book.sync_detailed(
            client=admin,
            body=BookInput(
                title="Dune",
                author="Frank Herbert",
                isbn="9780441013593",
                published_at=datetime.date(1965, 8, 1),
                stock=3,
                tags=[tag.tag_id],
            ),
        ),
        HTTPStatus.CREATED,
        Book,
    )
    assert isinstance(book.stock, int) and book.stock == 3
    assert isinstance(book.isbn, str) and book.isbn == "9780441013593"
    assert book.published_at == datetime.date(1965, 8, 1)
    assert [t.tag_id for t in book.tags] == [tag.tag_id]

    member_tokens = step(
        log_in.sync_detailed(client=anonymous, body=LoginRequest(username="ada", password="correct horse 1")),
        HTTPStatus.OK,
        TokenPair,
    )
    member = AuthenticatedClient(base_url=base + "/api/v1", token=member_tokens.access_token)

    page = step(
        list_books.sync_detailed(
            client=member, title="dune", tag=[tag.tag_id], order_by=ListBooksOrderBy.PUBLISHED_AT_DESC, page_size=5
        ),
        HTTPStatus.OK,
        BookPage,
    )
    assert page.count == 1 and [b.book_id for b in page.results] == [book.book_id] and page.next_ is None

    loan = step(
        create_loan.sync_detailed(client=member, body=LoanInput(book_id=book.book_id, quantity=1)),
        HTTPStatus.CREATED,
        Loan,
    )
    assert loan.quantity == 1 and loan.is_returned is False
    assert step(get_book.sync_detailed(book.book_id, client=member), HTTPStatus.OK, Book).stock == 2

    # The cache, as the README shows it: rendered (MISS), then from memory (HIT), skipped by an admin (BYPASS) and
    # not by a member.
    seen = []
    for client, cache_control in [(member, None), (member, None), (admin, "no-store"), (member, "no-store")]:
        kwargs = {"cache_control": cache_control} if cache_control else {}
        response = list_books.sync_detailed(client=client, **kwargs)
        step(response, HTTPStatus.OK, BookPage)
        seen += cache_headers(response)
    patched = step(update_book.sync_detailed(book.book_id, client=admin, body=BookPatch(stock=10)), HTTPStatus.OK, Book)
    assert patched.stock == 10
    response = list_books.sync_detailed(client=member)
    step(response, HTTPStatus.OK, BookPage)
    seen += cache_headers(response)
    expected = [
        "x-cache: MISS",
        "x-cache: HIT",
        "x-cache-tier: memory",
        "x-cache: BYPASS",
        "x-cache: HIT",
        "x-cache-tier: memory",
        "x-cache: MISS",
    ]
    assert seen == expected, seen

    # A mistake is a typed problem naming the field.
    problem = step(
        create_book.sync_detailed(
            client=admin,
            body=BookInput(title="X", author="Y", isbn="123", published_at=datetime.date(2000, 1, 1), stock=1),
        ),
        HTTPStatus.BAD_REQUEST,
        Problem,
    )
    assert [error.field for error in problem.errors] == ["isbn"], problem

    print(f"generated Python client: {steps} README steps answered with the typed models the spec names")


if __name__ == "__main__":
    main(sys.argv[1])
