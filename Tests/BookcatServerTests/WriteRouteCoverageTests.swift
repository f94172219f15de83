import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

/// No route can write without the cache hearing of it: every route that may write is taken from the router's own
/// table, and each one, run for real, must publish the store's versions to the cache before it answers, and move
/// the version its write stands for. A route added without an entry below fails the first check.
@Suite("Every route that writes tells the cache")
struct WriteRouteCoverageTests {
    /// What a write changes, and so which of the store's versions it must move.
    enum Effect {
        /// Books, tags or loans: every cached catalog body becomes unreachable.
        case catalog
        /// A session ends or an account changes: processes must re-check the sessions they remember.
        case sessions
        /// Nothing a cached body or a remembered session depends on (login, signup, refresh: a refresh continues its
        /// session, so every process may keep what it remembers of it).
        case neither
    }

    /// One real request for a route, its expected effect, and how to make it (with fresh data for each run).
    struct Example: Sendable {
        var effect: Effect
        var request: @Sendable (TestApp, _ admin: TestApp.Session) async throws -> TestResponse
    }

    /// Every mutating route, by template; the test fails if the router has one more or one less.
    static let examples: [String: Example] = [
        "POST /api/v1/users": Example(effect: .neither) { app, _ in
            try await app.send(.post, "/api/v1/users", json: ["email": "new@example.org", "username": "newcomer", "password": "new password 1"])
        },
        "POST /api/v1/auth/login": Example(effect: .neither) { app, _ in
            try await app.send(.post, "/api/v1/auth/login", json: ["email": "admin@example.org", "password": TestApp.adminPassword])
        },
        "POST /api/v1/token/refresh": Example(effect: .neither) { app, _ in
            let member = try await app.session(email: "refresher@example.org")
            return try await app.send(.post, "/api/v1/token/refresh", json: ["refresh_token": member.refreshToken])
        },
        "POST /api/v1/auth/logout": Example(effect: .sessions) { app, _ in
            let member = try await app.session(email: "leaver@example.org")
            return try await app.send(.post, "/api/v1/auth/logout", token: member.accessToken, json: ["refresh_token": member.refreshToken])
        },
        "PATCH /api/v1/users/me": Example(effect: .sessions) { app, _ in
            let member = try await app.session(email: "changer@example.org")
            return try await app.send(
                .patch,
                "/api/v1/users/me",
                token: member.accessToken,
                json: ["password": "another password 2", "current_password": "member password 1"]
            )
        },
        "DELETE /api/v1/users/me": Example(effect: .sessions) { app, _ in
            let member = try await app.session(email: "goner@example.org")
            return try await app.send(.delete, "/api/v1/users/me", token: member.accessToken, json: ["password": "member password 1"])
        },
        "POST /api/v1/tags": Example(effect: .catalog) { app, admin in
            try await app.send(.post, "/api/v1/tags", token: admin.accessToken, json: ["name": "tag \(UUID().uuidString.prefix(8))"])
        },
        "PUT /api/v1/tags/{tag_id}": Example(effect: .catalog) { app, admin in
            let tag = try await app.createTag("old \(UUID().uuidString.prefix(8))", token: admin.accessToken)
            return try await app.send(.put, "/api/v1/tags/\(tag)", token: admin.accessToken, json: ["name": "new \(UUID().uuidString.prefix(8))"])
        },
        "DELETE /api/v1/tags/{tag_id}": Example(effect: .catalog) { app, admin in
            let tag = try await app.createTag("gone \(UUID().uuidString.prefix(8))", token: admin.accessToken)
            return try await app.send(.delete, "/api/v1/tags/\(tag)", token: admin.accessToken)
        },
        "POST /api/v1/books": Example(effect: .catalog) { app, admin in
            try await app.send(
                .post,
                "/api/v1/books",
                token: admin.accessToken,
                json: ["title": "New", "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 2]
            )
        },
        "PUT /api/v1/books/{book_id}": Example(effect: .catalog) { app, admin in
            let book = try await app.createBook(token: admin.accessToken).int("book_id")
            return try await app.send(
                .put,
                "/api/v1/books/\(book)",
                token: admin.accessToken,
                json: ["title": "Put", "author": "A", "isbn": TestApp.nextISBN(), "published_at": "2000-01-01", "stock": 9]
            )
        },
        "PATCH /api/v1/books/{book_id}": Example(effect: .catalog) { app, admin in
            let book = try await app.createBook(token: admin.accessToken).int("book_id")
            return try await app.send(.patch, "/api/v1/books/\(book)", token: admin.accessToken, json: ["stock": 1])
        },
        "DELETE /api/v1/books/{book_id}": Example(effect: .catalog) { app, admin in
            let book = try await app.createBook(token: admin.accessToken).int("book_id")
            return try await app.send(.delete, "/api/v1/books/\(book)", token: admin.accessToken)
        },
        "POST /api/v1/loans": Example(effect: .catalog) { app, admin in
            let book = try await app.createBook(token: admin.accessToken, ["stock": 3]).int("book_id")
            return try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": book, "quantity": 1])
        },
        "PATCH /api/v1/loans/{loan_id}": Example(effect: .catalog) { app, admin in
            let book = try await app.createBook(token: admin.accessToken, ["stock": 3]).int("book_id")
            let loan = try await app.send(.post, "/api/v1/loans", token: admin.accessToken, json: ["book_id": book, "quantity": 1])
            return try await app.send(
                .patch,
                "/api/v1/loans/\(try loan.object().int("loan_id"))",
                token: admin.accessToken,
                json: ["is_returned": true]
            )
        },
    ]

    @Test func everyRouteThatMayWriteHasAnExample() async throws {
        let (_, routes) = try await buildRoutes(
            configuration: TestApp.configuration().server,
            dependencies: AppDependencies(store: AppDatabase.inMemory().store()),
            logger: Logger(label: "routes")
        )
        let mayWrite = Set(routes.all.filter { StoreChangePublisher<AppRequestContext>.mayWrite($0.method) }.map(\.description))
        #expect(!mayWrite.isEmpty)
        #expect(mayWrite == Set(Self.examples.keys), "routes without an example: \(mayWrite.subtracting(Self.examples.keys))")
    }

    @Test(arguments: examples.keys.sorted())
    func theRouteTellsTheCacheWhatItWrote(route: String) async throws {
        let example = try #require(Self.examples[route])
        let cache = RecordingCache()
        try await TestApp.run(cache: cache) { app in
            let admin = try await app.admin()
            let before = try await app.store.versions.storeVersions()
            cache.clear()
            let response = try await example.request(app, admin)
            #expect((200..<300).contains(response.status.code), "\(route) answered \(response.status) \(response.text)")
            let after = try await app.store.versions.storeVersions()
            // The last thing published is what the store holds after the write, whatever ran before it.
            let published = try #require(cache.lastPublished, "\(route) published nothing")
            #expect(published == after)
            switch example.effect {
            case .catalog:
                #expect(after.catalog > before.catalog)
                #expect(cache.invalidatedCatalog, "\(route) wrote the catalog but did not invalidate it")
            case .sessions:
                #expect(after.sessions > before.sessions)
                #expect(after.catalog == before.catalog)
            case .neither:
                #expect(after == before)
                #expect(!cache.invalidatedCatalog, "\(route) emptied the cache without writing the catalog")
            }
        }
    }
}

/// A cache that serves nothing and records what the server published to it.
private final class RecordingCache: ResponseCache {
    private struct Calls {
        var lastPublished: StoreVersions?
        var invalidatedCatalog = false
    }
    private let calls = NIOLockedValueBox(Calls())

    var lastPublished: StoreVersions? { calls.withLockedValue { $0.lastPublished } }
    var invalidatedCatalog: Bool { calls.withLockedValue { $0.invalidatedCatalog } }
    func clear() { calls.withLockedValue { $0 = Calls() } }

    func body(for key: String, policy: CachePolicy, fill: @escaping @Sendable () async throws -> CachedBody) async throws -> CacheRead {
        try await NoResponseCache().body(for: key, policy: policy, fill: fill)
    }

    func invalidateCatalog(after versions: StoreVersions?) async {
        calls.withLockedValue { calls in
            calls.lastPublished = versions
            calls.invalidatedCatalog = true
        }
    }

    func reconcile(with versions: StoreVersions) async {
        calls.withLockedValue { $0.lastPublished = versions }
    }

    func health() async -> CacheHealth { .disabled }
}
