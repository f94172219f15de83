import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import NIOCore
import Testing

@testable import BookcatAccounts
@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Hostile input gets a clear 4xx and changes nothing")
struct HostileInputTests {
    private func rawPost(_ app: TestApp, _ path: String, _ bytes: [UInt8], token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await app.client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    @Test func notYetValidTokensAreRejected() async throws {
        try await TestApp.run { app in
            let session = try await app.member()
            let service = await TokenService(secret: TestApp.secret, algorithm: .hs256, accessTTL: 900, refreshTTL: 900)
            let now = Date()
            let claims = SessionClaims(
                sub: .init(value: String(session.userID)),
                iat: .init(value: now),
                nbf: .init(value: now.addingTimeInterval(3600)),
                exp: .init(value: now.addingTimeInterval(7200)),
                jti: .init(value: "future"),
                tokenUse: .access
            )
            let token = try await service.keys.sign(claims)
            #expect(try await app.send(.get, "/api/v1/users/me", token: token).status == .unauthorized)
        }
    }

    @Test(arguments: ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b"])
    func malformedAuthorizationHeadersAreUnauthorized(header: String) async throws {
        try await TestApp.run { app in
            let response = try await app.send(.get, "/api/v1/users/me", headers: [.authorization: header])
            #expect(response.status == .unauthorized)
            _ = try response.problem()
        }
    }

    @Test func invalidUTF8AndDeeplyNestedJSONAreBadRequests() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let invalidUTF8 = Array(#"{"title": ""#.utf8) + [0xC3, 0x28] + Array(#"", "author": "a"}"#.utf8)
            #expect(try await rawPost(app, "/api/v1/books", invalidUTF8, token: token).status == .badRequest)
            let nested = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            #expect(try await rawPost(app, "/api/v1/books", Array(nested.utf8), token: token).status == .badRequest)
            let nestedObject = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
            #expect(try await rawPost(app, "/api/v1/tags", Array(nestedObject.utf8), token: token).status == .badRequest)
            #expect(try await app.store.books.page(BookListQuery.parse([])).totalCount == 0)
        }
    }

    @Test func duplicateKeysNeverCrashAndNeverBypassValidation() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let body = #"{"name": "ok", "name": ""}"#
            let response = try await rawPost(app, "/api/v1/tags", Array(body.utf8), token: token)
            #expect(response.status.code < 500)
            if response.status == .created {
                #expect(try response.object().string("name") != "")
            }
        }
    }

    @Test func veryLongStringsInEveryFieldAreRejected() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let long = String(repeating: "x", count: 100_000)
            for field in ["title", "author", "publisher"] {
                var body: [String: Any] = ["title": "t", "author": "a", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 1]
                body[field] = long
                let response = try await app.send(.post, "/api/v1/books", token: token, json: body)
                #expect(response.status == .badRequest, "\(field)")
                #expect(try response.problemFields() == [field])
            }
            #expect(try await app.send(.post, "/api/v1/tags", token: token, json: ["name": long]).status == .badRequest)
            let signup = try await app.send(.post, "/api/v1/users", json: ["email": long + "@example.org", "username": long, "password": long])
            #expect(Set(try signup.problemFields()) == ["email", "username", "password"])
            let query = try await app.send(.get, "/api/v1/books?title=\(String(repeating: "x", count: 5000))", token: token)
            #expect(query.status == .badRequest)
        }
    }

    @Test(arguments: [
        "/api/v1/books/9223372036854775808", "/api/v1/books/-9223372036854775809", "/api/v1/loans/1e3",
        "/api/v1/tags/%00", "/api/v1/users/0x10",
    ])
    func overflowingAndOddIdsAreBadRequests(path: String) async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let response = try await app.send(.get, path, token: token)
            #expect(response.status == .badRequest)
        }
    }

    @Test func sqlLookingInputIsJustText() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let sneaky = "x' OR '1'='1"
            let login = try await app.send(.post, "/api/v1/auth/login", json: ["email": "admin@example.org' --", "password": sneaky])
            #expect(login.status == .unauthorized)
            let search = try await app.send(.get, "/api/v1/books?author=%27%20OR%201%3D1%20--", token: token)
            #expect(search.status == .ok)
            #expect(try search.object().int("count") == 0)
        }
    }
}

@Suite("The Authorization header, read as bytes")
struct AuthorizationHeaderParsingTests {
    @Test(arguments: [
        ("Bearer abc.def", "abc.def"),
        ("bearer abc", "abc"),
        ("BEARER abc", "abc"),
        ("  Bearer    abc  ", "abc"),
        ("Bearer é.ü", "é.ü"),
    ])
    func acceptsTheSchemeAndOneToken(field: String, token: String) {
        #expect(Authenticator.token(in: field, scheme: "Bearer") == token)
    }

    @Test(arguments: ["", " ", "Bearer", "Bearer ", "Bearer a b", "Basic abc", "Bearerx abc", "Beare abc", "Bearer\tabc", "\u{212A}ey abc"])
    func refusesAnythingElse(field: String) {
        #expect(Authenticator.token(in: field, scheme: "Bearer") == nil)
    }

    @Test func theConfiguredSchemeIsTheOneAccepted() {
        #expect(Authenticator.token(in: "token xyz", scheme: "Token") == "xyz")
        #expect(Authenticator.token(in: "Bearer xyz", scheme: "Token") == nil)
    }
}
