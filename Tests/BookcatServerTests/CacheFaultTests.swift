import BookcatCache
import BookcatCore
import BookcatSQLite
import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

@testable import BookcatApp
@testable import BookcatHTTP

@Suite("The cache keeps serving, and never serves stale, when Redis fails")
struct CacheFaultTests {
    @Test func redisKilledAndRestartedMidTest() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cache: redis.responseCache()) { app in
                let token = try await app.admin().accessToken
                let bookID = try await app.createBook(token: token, ["stock": 5]).int("book_id")
                _ = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: token).cacheOutcome == "HIT")

                redis.stop()
                let down = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(down.status == .ok)
                #expect(down.cacheOutcome == "ERROR")
                let loan = try await app.send(.post, "/api/v1/loans", token: token, json: ["book_id": bookID, "quantity": 2])
                #expect(loan.status == .created)
                let afterWrite = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(afterWrite.status == .ok)
                #expect(try afterWrite.object().int("stock") == 3)

                try await redis.start()
                let recovered = try await eventually {
                    try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                } until: {
                    $0.cacheOutcome != "ERROR"
                }
                #expect(recovered.cacheOutcome == "MISS")
                #expect(try recovered.object().int("stock") == 3)
                #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: token).cacheOutcome == "HIT")
            }
        }
    }

    /// The time limit tells a one-second timeout per attempt from a hung socket's wait without end; it measures nothing.
    @Test(.timeLimit(.minutes(2)))
    func aHungRedisCostsOnlyTheTimeoutsAndItsOldEntriesStayUnreachable() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cache: redis.responseCache(commandTimeout: RedisServer.hungTimeout)) { app in
                let token = try await app.admin().accessToken
                let bookID = try await app.createBook(token: token, ["stock": 5]).int("book_id")
                try await expectWarm(app, "/api/v1/books/\(bookID)", token: token)

                redis.pause()
                let slow = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(slow.status == .ok)
                #expect(slow.cacheOutcome == "ERROR")
                // The write cannot invalidate: Redis hangs. It must still succeed.
                let loan = try await app.send(.post, "/api/v1/loans", token: token, json: ["book_id": bookID, "quantity": 1])
                #expect(loan.status == .created)
                let fresh = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(try fresh.object().int("stock") == 4)

                // Redis comes back still holding the entry from before the loan; it must never be served again.
                redis.resume()
                let recovered = try await eventually {
                    try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                } until: {
                    $0.cacheOutcome != "ERROR"
                }
                #expect(recovered.cacheOutcome == "MISS")
                #expect(try recovered.object().int("stock") == 4)
            }
        }
    }

    @Test func redisRefusingConnectionsNeverCausesA5xx() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            redis.stop()
            try await TestApp.run(cache: cache) { app in
                let token = try await app.admin().accessToken
                let book = try await app.createBook(token: token)
                for path in ["/api/v1/books", "/api/v1/books/\(try book.int("book_id"))", "/api/v1/tags"] {
                    let response = try await app.send(.get, path, token: token)
                    #expect(response.status == .ok)
                    #expect(response.cacheOutcome == "ERROR")
                }
            }
        }
    }

    /// The audit: warm a page, hang Redis, write (200), kill the server, restart it, resume Redis: the restarted
    /// server served the page from before the write until CACHE_TTL. The write bumped the catalog version in its
    /// transaction, and the new process compares it with the cache's before serving anything.
    @Test func anInvalidationOwedByACrashedProcessIsPaidByTheNextOne() async throws {
        let folder = TemporaryFolder("owed")
        defer { folder.remove() }
        let path = folder.databasePath
        try await RedisServer.with { redis in
            let cache = redis.responseCache(commandTimeout: RedisServer.hungTimeout, breakerPause: .seconds(30))
            let (token, bookID) = try await TestApp.run(databasePath: path, cache: cache) { app in
                let token = try await app.admin().accessToken
                let bookID = try await app.createBook(token: token, ["stock": 5]).int("book_id")
                try await expectWarm(app, "/api/v1/books/\(bookID)", token: token)
                redis.pause()
                // Three timed-out reads open the circuit breaker, so the write's invalidation is not even sent
                // (a sent one would still run once Redis resumes): it is owed, in this process's memory only.
                for _ in 0..<3 { _ = try await app.send(.get, "/api/v1/books", token: token) }
                let patch = try await app.send(.patch, "/api/v1/books/\(bookID)", token: token, json: ["stock": 9])
                #expect(patch.status == .ok)
                #expect(cache.owesInvalidation)
                return (token, bookID)
            }
            // The first process is gone, and with it the invalidation it owed in memory.
            redis.resume()
            try await TestApp.run(databasePath: path, cache: redis.responseCache()) { app in
                let first = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(first.cacheOutcome == "MISS")
                #expect(try first.object().int("stock") == 9)
            }
            // A restart with nothing owed keeps the warm cache.
            try await TestApp.run(databasePath: path, cache: redis.responseCache()) { app in
                let warm = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(warm.cacheOutcome == "HIT")
            }
        }
    }

    /// `bookcat seed` (and `migrate`) write outside any server; they invalidate what running servers cached.
    @Test func seedingInvalidatesWhatARunningServerCached() async throws {
        try await RedisServer.with { redis in
            // Over the application's own store, as `bookcat serve` builds it: its catalog is the one the seed names.
            try await TestApp.run(store: .sqlite, cacheOver: { redis.responseCache(store: $0) }) { app in
                let token = try await app.admin().accessToken
                _ = try await app.send(.get, "/api/v1/books", token: token)
                #expect(try await app.send(.get, "/api/v1/books", token: token).cacheOutcome == "HIT")
                _ = try await CatalogSeeder(database: try #require(app.database)).seed(books: 3, tags: 2, seed: 7) { _ in }
                var configuration = app.configuration
                configuration.redis = redis.clientConfiguration()
                #expect(try await reconcileCache(configuration: configuration, store: app.store.versions, logger: Logger(label: "seed")))
                let after = try await app.send(.get, "/api/v1/books", token: token)
                #expect(after.cacheOutcome == "MISS")
                #expect(try after.object().int("count") == 3)
            }
        }
    }

    /// Reads `path` until it is a cache hit. With a hung server's short timeout, a reply the loaded machine delayed
    /// can make a read before the hang an `ERROR`; a warm cache is where these tests start, not what they test.
    private func expectWarm(_ app: TestApp, _ path: String, token: String) async throws {
        let warm = try await eventually {
            try await app.send(.get, path, token: token)
        } until: {
            $0.cacheOutcome == "HIT"
        }
        #expect(warm.cacheOutcome == "HIT")
    }
}
