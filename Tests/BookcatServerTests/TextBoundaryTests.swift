import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// Strings with NUL and other control characters are refused where they enter: the C libraries behind the store
/// and the password hash stop at NUL, so such a value would be stored, hashed or searched as something else than
/// what was acknowledged (found by an outside audit; each test reproduces one finding).
@Suite("Control characters are refused where text enters")
struct TextBoundaryTests {
    @Test func aNulInTheLoginIdentifierIsRefusedNotTruncatedToAnotherAccount() async throws {
        try await TestApp.run { app in
            _ = try await app.member("victim")
            for identifier in [["email": "victim@example.org\u{0}x"], ["username": "victim\u{0}x"]] {
                var body: [String: Any] = identifier
                body["password"] = "member password 1"
                let response = try await app.send(.post, "/api/v1/auth/login", json: body)
                #expect(response.status == .badRequest)
                #expect(try response.problemFields() == [identifier.keys.first!])
                #expect(response.text.contains("U+0000"))
            }
        }
    }

    @Test func aPasswordWithANulCannotBeSetSoNoShorterOneCanLogIn() async throws {
        try await TestApp.run { app in
            for password in ["\u{0}abcdefghij", "ab\u{0}cdefgh"] {
                let signup = try await app.send(
                    .post,
                    "/api/v1/users",
                    json: ["email": "nul@example.org", "username": "nul", "password": password]
                )
                #expect(signup.status == .badRequest)
                #expect(try signup.problemFields() == ["password"])
            }
            for password in ["", "ab"] {
                let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "nul@example.org", "password": password])
                #expect(login.status != .ok)
            }
        }
    }

    @Test func titlesAuthorsAndTagNamesWithControlCharactersAreRefusedAndNothingIsStored() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            for (field, value) in [("title", "Nul\u{0}Title"), ("author", "Tab\tAuthor"), ("title", "Bell\u{7}"), ("title", "Del\u{7F}")] {
                var book: [String: Any] = ["title": "T", "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2001-02-03", "stock": 1]
                book[field] = value
                let response = try await app.send(.post, "/api/v1/books", token: token, json: book)
                #expect(response.status == .badRequest, "\(field): \(value.debugDescription)")
                #expect(try response.problemFields() == [field])
            }
            let tag = try await app.send(.post, "/api/v1/tags", token: token, json: ["name": "Nul\u{0}Tag"])
            #expect(tag.status == .badRequest)
            #expect(try tag.problemFields() == ["name"])
            let books = try await app.send(.get, "/api/v1/books", token: token)
            #expect(try books.object().int("count") == 0)
            let tags = try await app.send(.get, "/api/v1/tags", token: token)
            #expect(try tags.array().isEmpty)
        }
    }

    @Test(arguments: ["title=abc%00", "author=abc%00", "title=%1F", "author=a%0Ab", "title%00=x"])
    func filtersWithControlCharactersAreABadRequestNotAServerError(query: String) async throws {
        try await TestApp.run { app in
            let token = try await app.member().accessToken
            let response = try await app.send(.get, "/api/v1/books?\(query)", token: token)
            #expect(response.status == .badRequest)
            #expect(response.text.contains("control characters"))
        }
    }

    @Test func lengthsCountWhatIsStoredNotWhatIsSeen() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            // One grapheme, 3,001 scalars.
            let stacked = "a" + String(repeating: "\u{301}", count: 3_000)
            let book = try await app.send(
                .post,
                "/api/v1/books",
                token: token,
                json: ["title": stacked, "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2001-02-03", "stock": 1]
            )
            #expect(book.status == .badRequest)
            #expect(try book.problemFields() == ["title"])
            let encoded = try #require(stacked.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let listing = try await app.send(.get, "/api/v1/books?title=\(encoded)", token: token)
            #expect(listing.status == .badRequest)
        }
    }
}
