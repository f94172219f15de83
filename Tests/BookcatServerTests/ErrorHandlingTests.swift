import BookcatCore
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("Bad input gets a clear 4xx problem")
struct ErrorHandlingTests {
    private func raw(_ app: TestApp, _ body: String, contentType: String = "application/json", token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await app.client.execute(uri: "/api/v1/books", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test(arguments: ["{", "not json", "[1,2]", "\"text\"", "{\"title\": }", "\u{FF}\u{FE}"])
    func malformedJSONIsABadRequest(body: String) async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let response = try await raw(app, body, token: token)
            #expect(response.status == .badRequest)
            _ = try response.problem()
        }
    }

    @Test func anEmptyBodyIsABadRequest() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let response = try await raw(app, "", token: token)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields() == ["body"])
        }
    }

    @Test func missingFieldsAreAllNamed() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let response = try await raw(app, "{\"title\": \"t\"}", token: token)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields() == ["author"])
        }
    }

    @Test func aNonJSONContentTypeIsUnsupported() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            // Forms are read (DjangoClientTests); anything else that is not JSON is not.
            let response = try await raw(app, "title=x", contentType: "text/plain", token: token)
            #expect(response.status == .unsupportedMediaType)
            _ = try response.problem()
        }
    }

    @Test func bodiesOverOneMebibyteAreTooLarge() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let huge = "{\"title\": \"" + String(repeating: "a", count: 2 * 1024 * 1024) + "\"}"
            let response = try await raw(app, huge, token: token)
            #expect(response.status == .contentTooLarge)
            _ = try response.problem()
            let signup = try await app.client.execute(
                uri: "/api/v1/users",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: huge)
            )
            #expect(signup.status == .contentTooLarge)
        }
    }

    @Test func unknownRoutesAreAProblemNotFound() async throws {
        try await TestApp.run { app in
            let response = try await app.send(.get, "/api/v1/nowhere")
            #expect(response.status == .notFound)
            _ = try response.problem()
            let trailing = try await app.send(.get, "/api/v1/books/")
            #expect(trailing.status != .internalServerError)
        }
    }

    @Test func hostileStringsAreStoredVerbatimAndHarmless() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let title = "Robert'); DROP TABLE book;--"
            _ = try await app.createBook(token: token, ["title": title])
            let response = try await app.send(.get, "/api/v1/books?title=DROP%20TABLE", token: token)
            let results = try #require(try response.object()["results"] as? [[String: Any]])
            #expect(results.map { $0["title"] as? String } == [title])
        }
    }
}

@Suite("Methods and explicit nulls")
struct MethodTests {
    @Test func aKnownPathWithAnotherMethodIsMethodNotAllowed() async throws {
        try await TestApp.run { app in
            let response = try await app.send(.init("TRACE")!, "/api/v1/books")
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, HEAD, POST")
            _ = try response.problem()
            let byID = try await app.send(.post, "/api/v1/books/12")
            #expect(byID.headers[.allow] == "GET, HEAD, PUT, PATCH, DELETE")
            // Two controllers serve /users, and /users/me matches /users/{user_id} too: each method once, in order.
            #expect(try await app.send(.put, "/api/v1/users").headers[.allow] == "GET, HEAD, POST")
            #expect(try await app.send(.put, "/api/v1/users/me").headers[.allow] == "GET, HEAD, PATCH, DELETE")
            #expect(try await app.send(.get, "/api/v1/nowhere/12").status == .notFound)
        }
    }

    @Test func explicitNullTagsAreRejected() async throws {
        try await TestApp.run { app in
            let token = try await app.admin().accessToken
            let body: [String: Any] = [
                "title": "t", "author": "a", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 1, "tags": NSNull(),
            ]
            let response = try await app.send(.post, "/api/v1/books", token: token, json: body)
            #expect(response.status == .badRequest)
            #expect(try response.problemFields() == ["tags"])
        }
    }
}
