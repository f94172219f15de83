import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Books")
struct BookTests {
    @Test func adminsCreateBooksWithTags() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let fiction = try await app.createTag("fiction", token: admin.accessToken)
            let classic = try await app.createTag("classic", token: admin.accessToken)
            let response = try await app.send(
                .post,
                "/api/v1/books",
                token: admin.accessToken,
                json: [
                    "title": "  Dune ", "author": "Frank Herbert", "isbn": "9780441013593", "publisher": "Chilton",
                    "published_at": "1965-08-01", "stock": 3, "tags": [classic, fiction, classic],
                ]
            )
            #expect(response.status == .created)
            let book = try response.object()
            let id = try book.int("book_id")
            #expect(response.headers[.location] == "/api/v1/books/\(id)")
            #expect(try book.string("title") == "Dune")
            #expect(try book.string("publisher") == "Chilton")
            #expect(try book.string("published_at") == "1965-08-01")
            #expect(try book.int("stock") == 3)
            let tags = try #require(book["tags"] as? [[String: Any]])
            #expect(tags.map { $0["name"] as? String } == ["fiction", "classic"])

            let fetched = try await app.send(.get, "/api/v1/books/\(id)", token: admin.accessToken)
            #expect(try fetched.object().string("isbn") == "9780441013593")
            let bookTags = try await app.send(.get, "/api/v1/books/\(id)/tags", token: admin.accessToken)
            #expect(try bookTags.array().count == 2)
        }
    }

    @Test func aMissingPublisherIsAnExplicitNull() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let book = try await app.createBook(token: admin.accessToken)
            #expect(book.keys.contains("publisher"))
            #expect(book["publisher"] is NSNull)
        }
    }

    @Test func membersReadButCannotWrite() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let member = try await app.member()
            let book = try await app.createBook(token: admin.accessToken)
            let id = try book.int("book_id")
            #expect(try await app.send(.get, "/api/v1/books/\(id)", token: member.accessToken).status == .ok)
            #expect(try await app.send(.get, "/api/v1/books", token: member.accessToken).status == .ok)
            let body: [String: Any] = ["title": "x", "author": "y", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 1]
            #expect(try await app.send(.post, "/api/v1/books", token: member.accessToken, json: body).status == .forbidden)
            #expect(try await app.send(.put, "/api/v1/books/\(id)", token: member.accessToken, json: body).status == .forbidden)
            #expect(try await app.send(.patch, "/api/v1/books/\(id)", token: member.accessToken, json: ["stock": 0]).status == .forbidden)
            #expect(try await app.send(.delete, "/api/v1/books/\(id)", token: member.accessToken).status == .forbidden)
            #expect(try await app.send(.get, "/api/v1/books/\(id)").status == .unauthorized)
            #expect(try await app.store.books.book(id: id)?.stock == 5)
        }
    }

    @Test(arguments: [
        (#"{"title": ""}"#, "title"),
        (#"{"title": "\#(String(repeating: "t", count: 256))"}"#, "title"),
        (#"{"author": " "}"#, "author"),
        (#"{"isbn": "12345"}"#, "isbn"),
        (#"{"published_at": "2023-02-30"}"#, "published_at"),
        (#"{"stock": -1}"#, "stock"),
        (#"{"stock": 1000001}"#, "stock"),
        (#"{"tags": [0]}"#, "tags"),
        (#"{"tags": [987654]}"#, "tags"),
        (#"{"stock": "three"}"#, "stock"),
        (#"{"stock": 1e30}"#, "stock"),
        (#"{"stock": 99999999999999999999999}"#, "stock"),
        (#"{"tags": "1"}"#, "tags"),
        (#"{"title": null}"#, "title"),
    ])
    func invalidBooksAreRejectedNamingTheField(override: String, field: String) async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            var body: [String: Any] = ["title": "t", "author": "a", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 1]
            let changes = try #require(try JSONSerialization.jsonObject(with: Data(override.utf8)) as? [String: Any])
            body.merge(changes) { _, new in new }
            let response = try await app.send(.post, "/api/v1/books", token: admin.accessToken, json: body)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields().contains(field))
            #expect(try await app.store.books.page(BookListQuery.parse([])).totalCount == 0)
        }
    }

    @Test func isbnsAreUnique() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            _ = try await app.createBook(token: admin.accessToken, ["isbn": "9780000000001"])
            let duplicate = try await app.send(
                .post,
                "/api/v1/books",
                token: admin.accessToken,
                json: ["title": "t", "author": "a", "isbn": "9780000000001", "published_at": "2000-01-01", "stock": 1]
            )
            #expect(duplicate.status == .conflict)
        }
    }

    @Test func putReplacesEveryField() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let tag = try await app.createTag("sf", token: admin.accessToken)
            let book = try await app.createBook(token: admin.accessToken, ["publisher": "Old", "tags": [tag]])
            let id = try book.int("book_id")
            let isbn = TestApp.nextISBN()
            let put = try await app.send(
                .put,
                "/api/v1/books/\(id)",
                token: admin.accessToken,
                json: ["title": "New", "author": "Other", "isbn": isbn, "published_at": "1999-09-09", "stock": 9]
            )
            #expect(put.status == .ok)
            let replaced = try put.object()
            #expect(try replaced.string("title") == "New")
            #expect(replaced["publisher"] is NSNull)
            #expect((replaced["tags"] as? [Any])?.isEmpty == true)
            #expect(try replaced.string("created_at") == book.string("created_at"))
            let missing = try await app.send(.put, "/api/v1/books/\(id)", token: admin.accessToken, json: ["title": "Only"])
            #expect(missing.status == .badRequest)
        }
    }

    @Test func patchChangesOnlyWhatIsSent() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let a = try await app.createTag("a", token: admin.accessToken)
            let b = try await app.createTag("b", token: admin.accessToken)
            let book = try await app.createBook(token: admin.accessToken, ["publisher": "Pub", "tags": [a]])
            let id = try book.int("book_id")
            let patched = try await app.send(.patch, "/api/v1/books/\(id)", token: admin.accessToken, json: ["stock": 7, "tags": [b]])
            let body = try patched.object()
            #expect(try body.int("stock") == 7)
            #expect(try body.string("title") == book.string("title"))
            #expect(try body.string("publisher") == "Pub")
            #expect((body["tags"] as? [[String: Any]])?.map { $0["name"] as? String } == ["b"])

            let cleared = try await app.send(.patch, "/api/v1/books/\(id)", token: admin.accessToken, json: ["publisher": NSNull()])
            #expect(try cleared.object()["publisher"] is NSNull)
            let nullTitle = try await app.send(.patch, "/api/v1/books/\(id)", token: admin.accessToken, json: ["title": NSNull()])
            #expect(nullTitle.status == .badRequest)
            #expect(try nullTitle.problemFields() == ["title"])
            let badStock = try await app.send(.patch, "/api/v1/books/\(id)", token: admin.accessToken, json: ["stock": -5])
            #expect(badStock.status == .badRequest)
            #expect(try await app.store.books.book(id: id)?.stock == 7)
        }
    }

    @Test func deletedBooksAreGone() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let id = try await app.createBook(token: admin.accessToken).int("book_id")
            #expect(try await app.send(.delete, "/api/v1/books/\(id)", token: admin.accessToken).status == .noContent)
            #expect(try await app.send(.get, "/api/v1/books/\(id)", token: admin.accessToken).status == .notFound)
            #expect(try await app.send(.delete, "/api/v1/books/\(id)", token: admin.accessToken).status == .notFound)
            #expect(try await app.send(.patch, "/api/v1/books/\(id)", token: admin.accessToken, json: ["stock": 1]).status == .notFound)
            #expect(try await app.send(.get, "/api/v1/books/\(id)/tags", token: admin.accessToken).status == .notFound)
        }
    }

    @Test func aBookWithCopiesOnLoanCannotBeDeleted() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let id = try await app.createBook(token: admin.accessToken).int("book_id")
            _ = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": id, "quantity": 2])
            #expect(try await app.send(.delete, "/api/v1/books/\(id)", token: admin.accessToken).status == .conflict)
        }
    }

    @Test(arguments: ["abc", "0", "-1", "99999999999999999999", "1.5"])
    func malformedIdsAreABadRequest(id: String) async throws {
        try await TestApp.run { app in
            let admin = try await app.admin()
            let response = try await app.send(.get, "/api/v1/books/\(id)", token: admin.accessToken)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields() == ["book_id"])
        }
    }
}
