import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// Text is bounded where it enters, before anything whose cost grows with it: normalising, folding, looking up.
/// The audit: a 1 MB login identifier (340,000 × U+FDFA, which NFKC turns into 18 letters each) took 5.8 s to
/// answer 401, 6.2 s to answer 429 from an address already locked, and eight of them in parallel made another
/// member's request take 25 s.
@Suite("Text is bounded where it enters")
struct TextLengthTests {
    private static let megabyteName = String(repeating: "\u{FDFA}", count: 340_000)

    @Test(arguments: ["email", "username"])
    func aMegabyteLoginIdentifierIsRefusedNamingTheFieldAndItsLimit(field: String) async throws {
        try await TestApp.run { app in
            let session = try await app.member("bystander")
            let login = try await app.send(
                .post,
                "/api/v1/auth/login",
                json: [field: Self.megabyteName, "password": String(repeating: "x", count: 80)]
            )
            #expect(login.status == .badRequest)
            #expect(try login.problemFields() == [field])
            #expect(login.text.contains("must be at most \(field == "email" ? 254 : 150) characters"))
            #expect(try await app.send(.get, "/api/v1/users/me", token: session.accessToken).status == .ok)
        }
    }

    @Test func aMegabytePasswordOrRefreshTokenIsRefusedBeforeAnyWork() async throws {
        try await TestApp.run { app in
            let session = try await app.member("grace")
            let huge = String(repeating: "\u{FDFA}", count: 340_000)
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "grace@example.org", "password": huge])
            #expect(login.status == .badRequest)
            #expect(try login.problemFields() == ["password"])
            let refresh = try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": huge])
            #expect(try refresh.problemFields() == ["refresh_token"])
            let change = try await app.send(
                .patch,
                "/api/v1/users/me",
                token: session.accessToken,
                json: ["current_password": huge, "password": "new password 2"]
            )
            #expect(try change.problemFields() == ["current_password"])
            // Three fields that together stay under the 1 MiB body limit.
            let large = String(repeating: "\u{FDFA}", count: 100_000)
            let signup = try await app.send(.post, "/api/v1/users", json: ["email": large, "username": large, "password": large])
            #expect(try Set(signup.problemFields()) == ["email", "username", "password"])
        }
    }

    /// The audit: `abc` followed by 5,000 × U+0345 passed the 150-character limit, counted as what a reader sees.
    @Test func aUsernameIsCountedInUnicodeScalarsNotInWhatAReaderSees() async throws {
        try await TestApp.run { app in
            let stacked = "abc" + String(repeating: "\u{0345}", count: 5_000)
            let signup = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "stack@example.org", "username": stacked, "password": "member password 1"]
            )
            #expect(signup.status == .badRequest)
            #expect(try signup.problemFields() == ["username"])
            let fits = "abc" + String(repeating: "\u{0345}", count: 147)
            let accepted = try await app.send(
                .post,
                "/api/v1/users",
                json: ["email": "fits@example.org", "username": fits, "password": "member password 1"]
            )
            #expect(accepted.status == .created)
        }
    }

    /// Titles, authors and tag names: 255 characters, and a megabyte is refused by its byte length before it is
    /// trimmed (trimming walks it character by character).
    @Test func aMegabyteTitleIsRefusedByItsLength() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let huge = String(repeating: "\u{FDFA}", count: 340_000)
            let book: [String: Any] = ["title": huge, "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2001-02-03", "stock": 1]
            let response = try await app.send(.post, "/api/v1/books", token: token, json: book)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields() == ["title"])
            #expect(response.text.contains("must be at most 255 characters"))
        }
    }

    @Test func theLimitCountsBytesThenScalars() {
        let limit = TextLimit(maxScalars: 3)
        #expect(limit.violation(in: "abc") == nil)
        #expect(limit.violation(in: "\u{1F600}\u{1F600}\u{1F600}") == nil)
        #expect(limit.violation(in: "abcd") == "must be at most 3 characters (got 4)")
        #expect(limit.violation(in: String(repeating: "\u{1F600}", count: 4)) == "must be at most 3 characters (got 16 bytes)")
    }
}
