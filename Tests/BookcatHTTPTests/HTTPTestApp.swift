import BookcatCore
import BookcatHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

@testable import BookcatInMemoryStore

/// The HTTP module on in-memory ports, driven through Hummingbird's router without a socket or a server process.
struct HTTPTestApp: Sendable {
    let client: any TestClientProtocol
    let catalog: InMemoryCatalog
    let cache: InMemoryResponseCache

    static func run<Value: Sendable>(_ test: @Sendable (HTTPTestApp) async throws -> Value) async throws -> Value {
        var configuration = ServerConfiguration()
        configuration.bcryptCost = 4
        configuration.jwtSecret = String(repeating: "http-module-tests-", count: 3)
        var logger = Logger(label: "bookcat-http-tests")
        logger.logLevel = .critical
        let catalog = InMemoryCatalog(limits: LoginLimits(signupsPerClient: 10_000))
        let cache = InMemoryResponseCache()
        let dependencies = AppDependencies(store: catalog.store(), cache: cache, clock: .system)
        let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
        return try await app.test(.router) { client in
            try await test(HTTPTestApp(client: client, catalog: catalog, cache: cache))
        }
    }

    /// Sends a request; `json` goes as the body with `Content-Type: application/json`.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: [String: any Sendable]? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body)
    }

    /// Signs `name` up through the API, makes it an admin in the store if asked, and logs it in: its access token.
    func token(for name: String, admin: Bool = false) async throws -> String {
        let email = "\(name)@example.org"
        let signup = try await send(.post, "/api/v1/users", json: ["email": email, "username": name, "password": "\(name) password 1"])
        guard signup.status == .created else { throw HTTPTestFailure("signup of \(name): \(signup.status) \(signup.text)") }
        if admin {
            let id = try signup.object().int("user_id")
            catalog.state.withLock { $0.users[id]?.role = .admin }
        }
        let login = try await send(.post, "/api/v1/auth/login", json: ["email": email, "password": "\(name) password 1"])
        return try login.object().string("access_token")
    }

    /// Creates a book as `token`'s admin; its `book_id`.
    func createBook(token: String, title: String, isbn: String, tags: [Int64] = [], stock: Int = 5) async throws -> Int64 {
        let response = try await send(
            .post,
            "/api/v1/books",
            token: token,
            json: ["title": title, "author": "Some Author", "isbn": isbn, "published_at": "2001-02-03", "stock": stock, "tags": tags]
        )
        guard response.status == .created else { throw HTTPTestFailure("creating \(title): \(response.status) \(response.text)") }
        return try response.object().int("book_id")
    }
}

struct HTTPTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func object() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw HTTPTestFailure("expected a JSON object, got \(text)")
        }
        return object
    }

    var cacheOutcome: String? { headers[HTTPField.Name("X-Cache")!] }
}

extension [String: Any] {
    func int(_ key: String) throws -> Int64 {
        guard let value = self[key] as? Int else { throw HTTPTestFailure("\(key) is not a number in \(self)") }
        return Int64(value)
    }

    func string(_ key: String) throws -> String {
        guard let value = self[key] as? String else { throw HTTPTestFailure("\(key) is not a string in \(self)") }
        return value
    }

    func results() throws -> [[String: Any]] {
        guard let results = self["results"] as? [[String: Any]] else { throw HTTPTestFailure("no results in \(self)") }
        return results
    }
}
