import BookcatCache
import BookcatCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatServer

@Suite("The cache keeps serving, and never serves stale, when Redis fails")
struct CacheFaultTests {
    @Test func redisKilledAndRestartedMidTest() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cache: redis.responseCache(commandTimeout: .milliseconds(300))) { app in
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

    @Test func aHungRedisCostsOnlyTheTimeoutsAndItsOldEntriesStayUnreachable() async throws {
        try await RedisServer.with { redis in
            try await TestApp.run(cache: redis.responseCache(commandTimeout: .milliseconds(300))) { app in
                let token = try await app.admin().accessToken
                let bookID = try await app.createBook(token: token, ["stock": 5]).int("book_id")
                _ = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(try await app.send(.get, "/api/v1/books/\(bookID)", token: token).cacheOutcome == "HIT")

                redis.pause()
                let started = ContinuousClock.now
                let slow = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(slow.status == .ok)
                #expect(slow.cacheOutcome == "ERROR")
                // The write cannot invalidate: Redis hangs. It must still succeed.
                let loan = try await app.send(.post, "/api/v1/loans", token: token, json: ["book_id": bookID, "quantity": 1])
                #expect(loan.status == .created)
                let fresh = try await app.send(.get, "/api/v1/books/\(bookID)", token: token)
                #expect(try fresh.object().int("stock") == 4)
                // Generous bound: a 300 ms command timeout per attempt, never the minutes of a hung socket.
                #expect(ContinuousClock.now - started < .seconds(3))

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
}
