import BookcatCore
import BookcatTestSupport
import Foundation
import NIOConcurrencyHelpers
import RedisClient
import Testing

@testable import BookcatCache

@Suite("Redis response cache: races and coalescing")
struct RedisResponseCacheTests {
    @Test func aFillThatStartedBeforeAWriteIsNeverServedAfterIt() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            let fillStarted = AsyncGate()
            let releaseFill = AsyncGate()
            // A slow reader: it reads the old data, then stalls before storing it.
            let slowRead = Task {
                try await cache.body(for: "books:list:", policy: .normal) {
                    await fillStarted.open()
                    await releaseFill.wait()
                    return body("before the write")
                }
            }
            await fillStarted.wait()
            // The write commits and invalidates, then answers its client.
            await cache.invalidateCatalog(after: StoreVersions(catalog: 2, sessions: 1))
            // Only now does the slow fill store its old body.
            await releaseFill.open()
            let slow = try await slowRead.value
            #expect(slow.outcome == .miss)

            let afterWrite = try await cache.body(for: "books:list:", policy: .normal) { body("after the write") }
            #expect(afterWrite.body == body("after the write"))
            #expect(afterWrite.outcome == .miss)
            let again = try await cache.body(for: "books:list:", policy: .normal) { body("unexpected fill") }
            #expect(again.body == body("after the write"))
            #expect(again.outcome == .hit)
        }
    }

    @Test func concurrentMissesForOneKeyRunOneFill() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            let fills = NIOLockedValueBox(0)
            let results = try await withThrowingTaskGroup(of: CachedBody.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await cache.body(for: "books:detail:1", policy: .normal) {
                            fills.withLockedValue { $0 += 1 }
                            // Finishes only once all 20 requests wait for it: none may arrive after it is done.
                            let joined = try await eventually {
                                cache.fills.callersWaiting
                            } until: {
                                $0 == 20
                            }
                            #expect(joined == 20)
                            return body("the book")
                        }.body
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(fills.withLockedValue { $0 } == 1)
            #expect(results.allSatisfy { $0 == body("the book") })
        }
    }

    @Test func aFailedFillIsNotCachedAndItsErrorReachesTheCaller() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            await #expect(throws: CatalogError.notFound("page 9")) {
                _ = try await cache.body(for: "books:list:page=9", policy: .normal) { throw CatalogError.notFound("page 9") }
            }
            let next = try await cache.body(for: "books:list:page=9", policy: .normal) { body("now it exists") }
            #expect(next.outcome == .miss)
        }
    }

    @Test func aRestartedRedisNeverRevivesAnOldGeneration() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            _ = try await cache.body(for: "k", policy: .normal) { body("first") }
            for version in 2..<5 { await cache.invalidateCatalog(after: StoreVersions(catalog: Int64(version), sessions: 1)) }
            redis.stop()
            try await redis.start()
            // The counter starts again from the server clock, far above the generations used before.
            let client = redis.inspector()
            _ = try await cache.body(for: "k", policy: .normal) { body("second") }
            let generation = try #require(try await client.send("GET", RedisArgument(CacheKeys(catalog: UnwrittenStore.catalog).generation)).integer)
            #expect(generation > 1_000_000_000_000_000)
            await client.shutdown()
        }
    }

    @Test func differentKeyPrefixesNeverShareEntries() async throws {
        try await RedisServer.with { redis in
            let old = redis.responseCache(keyPrefix: "a")
            let new = redis.responseCache(keyPrefix: "b")
            _ = try await old.body(for: "k", policy: .normal) { body("old format") }
            let fresh = try await new.body(for: "k", policy: .normal) { body("new format") }
            #expect(fresh.body == body("new format"))
        }
    }
}

/// A one-shot signal between tasks.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
