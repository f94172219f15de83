import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// Generated strings (1,200 over four seeds, each tried in every text field and filter) thrown at the service: never a 5xx, and whatever the service
/// acknowledges is exactly what it later returns.
@Suite("Generated hostile text never breaks the service")
struct HostileTextPropertyTests {
    /// The pieces strings are made of: what truncates or confuses C libraries, full-text search, JSON and readers.
    private static let pieces: [String] = [
        "\u{0}", "\u{1}", "\u{7}", "\t", "\n", "\r", "\u{1B}", "\u{1F}", "\u{7F}", "\u{85}",
        "\"", "'", "*", "^", ":", "(", ")", "-", "+", "NEAR(", " AND ", " OR ", " NOT ", "%", "_", "\\", "%00", "?", "&", "=", "#",
        "\u{301}", "\u{300}\u{301}\u{302}", "e\u{301}", "\u{200F}", "\u{202E}", "\u{200B}", "\u{FEFF}", "\u{FFFD}",
        "😀", "👩‍👩‍👧", "𝔘", "\u{10FFFF}", "\u{E000}", "ǅ", "ß", "İ", "ﬁ", "Ａ",
        "a", "b", "z", "Dune", " ", "  ", "0", "9", "@", ".", "admin",
    ]

    private static func hostileString(_ random: inout SplitMix64) -> String {
        let length = Int(random.next() % 12)
        var text = ""
        for _ in 0..<length { text += pieces[Int(random.next() % UInt64(pieces.count))] }
        // Now and then, far too long: by characters, or by bytes in few characters.
        switch random.next() % 20 {
        case 0: text += String(repeating: "x", count: 300)
        case 1: text += "a" + String(repeating: "\u{301}", count: 400)
        case 2: text += String(repeating: "𝔘", count: 200)
        default: break
        }
        return text
    }

    private static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    private func expectNo5xx(_ response: TestResponse, _ what: String, _ text: String) {
        #expect(response.status.code < 500, "\(what) answered \(response.status.code) for \(text.debugDescription)")
    }

    private struct BookDraft: Encodable {
        var title, author, publisher, isbn: String
        var published_at = "2001-02-03"
        var stock = 1
    }

    private struct BookText: Decodable, Equatable {
        var book_id: Int64
        var title, author: String
        var publisher: String?
    }

    private struct TagText: Decodable, Equatable {
        var tag_id: Int64
        var name: String
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func everyTextFieldAndFilter(seed: UInt64) async throws {
        var configuration = TestApp.configuration()
        // Login attempts here are not guesses; the throttle has its own tests.
        configuration.loginLimits.failuresPerClient = 1_000_000
        configuration.loginLimits.failuresPerAccount = 1_000_000
        try await TestApp.run(configuration: configuration) { app in
            let admin = try await app.admin().accessToken
            var random = SplitMix64(seed: seed)
            for index in 0..<300 {
                let text = Self.hostileString(&random)

                // A book's text fields: created as acknowledged, read back the same. Encoded and decoded with
                // Codable: JSONSerialization drops a leading U+FEFF from strings, which would blur the comparison.
                let draft = BookDraft(title: text, author: text.isEmpty ? "x" : text, publisher: text, isbn: TestApp.nextISBN())
                let created = try await app.client.execute(
                    uri: "/api/v1/books",
                    method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(admin)"],
                    body: ByteBuffer(bytes: try JSONEncoder().encode(draft))
                )
                expectNo5xx(created, "POST /books", text)
                if created.status == .created {
                    let acknowledged = try JSONDecoder().decode(BookText.self, from: Data(created.body.readableBytesView))
                    let read = try await app.send(.get, "/api/v1/books/\(acknowledged.book_id)", token: admin)
                    #expect(try JSONDecoder().decode(BookText.self, from: Data(read.body.readableBytesView)) == acknowledged)
                    // Acknowledged as sent, less surrounding whitespace (whole characters, as a reader sees them).
                    let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
                    #expect(acknowledged.title == trimmed, "title \(text.debugDescription)")
                }

                // A tag name.
                let tag = try await app.client.execute(
                    uri: "/api/v1/tags",
                    method: .post,
                    headers: [.contentType: "application/json", .authorization: "Bearer \(admin)"],
                    body: ByteBuffer(bytes: try JSONEncoder().encode(["name": text]))
                )
                expectNo5xx(tag, "POST /tags", text)
                if tag.status == .created {
                    let acknowledged = try JSONDecoder().decode(TagText.self, from: Data(tag.body.readableBytesView))
                    let read = try await app.send(.get, "/api/v1/tags/\(acknowledged.tag_id)", token: admin)
                    #expect(try JSONDecoder().decode(TagText.self, from: Data(read.body.readableBytesView)) == acknowledged)
                }

                // Every listing filter, and the path.
                let encoded = Self.percentEncoded(text)
                for query in ["title=\(encoded)", "author=\(encoded)", "tag=\(encoded)", "title=\(encoded)&author=\(encoded)", "order_by=\(encoded)"]
                {
                    expectNo5xx(try await app.send(.get, "/api/v1/books?\(query)", token: admin), "GET /books?\(query)", text)
                }
                expectNo5xx(try await app.send(.get, "/api/v1/books/\(encoded)", token: admin), "GET /books/{id}", text)

                // Login identifiers and passwords (a bcrypt check each, so one identifier field per string, in turn).
                let identifier = index % 2 == 0 ? "email" : "username"
                let login = try await app.send(.post, "/api/v1/auth/login", json: [identifier: text, "password": text])
                expectNo5xx(login, "POST /auth/login", text)

                // Signup (a bcrypt hash each, so one string in four).
                if index % 4 == 0 {
                    let signup = try await app.send(
                        .post,
                        "/api/v1/users",
                        json: ["email": "u\(seed)x\(index)@example.org", "username": text, "password": text + " password 1"]
                    )
                    expectNo5xx(signup, "POST /users", text)
                    if signup.status == .created {
                        let acknowledged = try signup.object()
                        let stored = try await app.store.users.user(id: try acknowledged.int("user_id"))
                        #expect(stored?.username == acknowledged["username"] as? String)
                    }
                }
            }
        }
    }

    /// JSON may spell a lone UTF-16 surrogate (`"\ud800"`), which no Swift string can hold: refused or replaced,
    /// never a 5xx, and never stored as something other than what was acknowledged.
    @Test func loneSurrogateEscapesInJSON() async throws {
        try await TestApp.run { app in
            let admin = try await app.admin().accessToken
            for escape in [#"\ud800"#, #"\udfff"#, #"a\ud83dz"#, #"\ude00\ud83d"#] {
                let bodies = [
                    (
                        "/api/v1/books",
                        #"{"title": "T\#(escape)", "author": "A", "isbn": "\#(TestApp.nextISBN())", "published_at": "2001-02-03", "stock": 1}"#
                    ),
                    ("/api/v1/tags", #"{"name": "t\#(escape)"}"#),
                    ("/api/v1/auth/login", #"{"username": "u\#(escape)", "password": "p\#(escape)"}"#),
                    ("/api/v1/users", #"{"email": "s@example.org", "username": "s\#(escape)", "password": "password\#(escape) 1"}"#),
                ]
                for (path, body) in bodies {
                    var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(admin)"]
                    if path.hasSuffix("login") || path.hasSuffix("users") { headers[.authorization] = nil }
                    let response = try await app.client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
                    #expect(response.status.code < 500, "\(path) answered \(response.status.code) for \(escape)")
                    if response.status == .created, path.hasSuffix("books") {
                        let acknowledged = try response.object()
                        let stored = try await app.send(.get, "/api/v1/books/\(try acknowledged.int("book_id"))", token: admin).object()
                        #expect(stored["title"] as? String == acknowledged["title"] as? String)
                    }
                }
            }
        }
    }
}
