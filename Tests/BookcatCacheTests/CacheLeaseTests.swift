import BookcatCore
import BookcatTestSupport
import Foundation
import Logging
import RedisClient
import Testing

@testable import BookcatCache

@Suite("Serving from memory on a lease")
struct CacheLeaseTests {
    @Test func onItsLeaseAReaderServesHitsFromMemoryWithoutAskingRedis() async throws {
        try await RedisServer.with { redis in
            // On a clock only this test moves: no renewal and no coverage check runs between the counts below, nor
            // does the lease lapse while a loaded machine runs them slowly (a renewal that learns a change its
            // subscription has not yet delivered rightly sends reads to Redis until it arrives).
            let cache = redis.responseCache(lease: .seconds(30), clock: CacheClock(ManualClock()))
            try await holdingLeases([cache]) {
                _ = try await cache.body(for: "k", policy: .normal) { body("stored") }
                let getsBefore = try await redis.calls(of: "get")
                for _ in 0..<20 {
                    let read = try await cache.body(for: "k", policy: .normal) { body("unexpected fill") }
                    #expect(read.outcome == .hit && read.tier == .memory && read.body == body("stored"))
                }
                #expect(try await redis.calls(of: "get") == getsBefore)
            }
        }
    }

    @Test func aWriteAnsweredByAnotherProcessIsSeenAtOnceByALeasedReader() async throws {
        try await RedisServer.with { redis in
            let reader = redis.responseCache()
            let writer = redis.responseCache()
            try await holdingLeases([reader, writer]) {
                for round in 0..<40 {
                    let filled = try await reader.body(for: "k", policy: .normal) { body("round \(round)") }
                    // Each round starts after the previous round's write was answered: the body in memory is stale.
                    #expect(filled.outcome == .miss && filled.body == body("round \(round)"), "round \(round)")
                    let warm = try await reader.body(for: "k", policy: .normal) { body("unexpected fill") }
                    #expect(warm.tier == .memory && warm.body == body("round \(round)"))
                    await writer.invalidateCatalog(after: StoreVersions(catalog: Int64(round + 2), sessions: 1))
                }
            }
        }
    }

    @Test func aSessionEpochPublishedElsewhereComesWithTheNextHitFromMemory() async throws {
        try await RedisServer.with { redis in
            let reader = redis.responseCache()
            let writer = redis.responseCache()
            try await holdingLeases([reader, writer]) {
                await writer.invalidateCatalog(after: StoreVersions(catalog: 2, sessions: 5))
                _ = try await reader.body(for: "k", policy: .normal) { body("stored") }
                for epoch in Int64(6)...Int64(15) {
                    // Only the sessions moved (a logout elsewhere): the page stays, the epoch must not.
                    await writer.reconcile(with: StoreVersions(catalog: 2, sessions: epoch))
                    let read = try await reader.body(for: "k", policy: .normal) { body("unexpected fill") }
                    #expect(read.tier == .memory && read.sessionEpoch == epoch)
                }
            }
        }
    }

    @Test func aRenewalThatShowsAChangeNotYetActedOnSuspendsHitsFromMemoryUntilItIs() async throws {
        try await RedisServer.with { redis in
            let reader = redis.responseCache()
            let keys = CacheKeys(catalog: UnwrittenStore.catalog)
            let inspector = redis.inspector()
            try await holdingLeases([reader]) {
                _ = try await reader.body(for: "k", policy: .normal) { body("stored") }
                #expect(try await reader.body(for: "k", policy: .normal) { body("unexpected fill") }.tier == .memory)
                // A change counted in Redis whose announcement has not reached the reader yet (it travels on another
                // connection): the next renewal sees the count, and the lease is not in force until it catches up.
                let counter = try #require(try await inspector.send("INCR", RedisArgument(keys.changeCounter)).checked().integer)
                let suspended = try await eventually {
                    reader.lease.isInForce
                } until: {
                    !$0
                }
                #expect(!suspended)
                let generation = try #require(try await inspector.send("GET", RedisArgument(keys.generation)).checked().string)
                _ = try await inspector.send("PUBLISH", RedisArgument(keys.changesChannel), RedisArgument("\(generation)  \(counter)   ")).checked()
                let resumed = try await eventually {
                    reader.lease.isInForce
                } until: {
                    $0
                }
                #expect(resumed)
            }
            await inspector.shutdown()
        }
    }

    @Test func aWriteWaitsForASilentReaderUntilItsLeaseEnds() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let writer = redis.responseCache(clock: CacheClock(clock))
            let readers = CacheKeys(catalog: UnwrittenStore.catalog).readers
            let inspector = redis.inspector()
            let now = try await Self.serverMilliseconds(inspector)
            // A registry older than any lease, and a reader that registered and then went silent (it neither
            // confirms nor leaves): its lease ends a minute from now by Redis's clock (a long one, so no load on this
            // machine can make it end before the write asks).
            _ = try await inspector.send("ZADD", RedisArgument(readers), RedisArgument(-(now - 60_000)), "~born").checked()
            _ = try await inspector.send("ZADD", RedisArgument(readers), RedisArgument(now + 60_000), "silent").checked()
            let write = Task { await writer.invalidateCatalog(after: StoreVersions(catalog: 2, sessions: 1)) }
            try await clock.untilSleeping()
            // Redis answered "a minute left, less what has passed since": 50 s on, the writer still waits...
            clock.advance(by: .seconds(50))
            #expect(clock.sleeping == 1)
            // ...and once the lease has ended by the time Redis gave, it answers.
            clock.advance(by: .seconds(10))
            await write.value
            #expect(clock.sleeping == 0)
            // A lease that has ended is not waited for at all: the write answers without the clock moving.
            _ = try await inspector.send("ZADD", RedisArgument(readers), RedisArgument(now - 1), "silent").checked()
            await writer.invalidateCatalog(after: StoreVersions(catalog: 3, sessions: 1))
            await inspector.shutdown()
        }
    }

    @Test func aReaderThatStopsLeavesTheRegistry() async throws {
        try await RedisServer.with { redis in
            let reader = redis.responseCache(lease: .seconds(30))
            let inspector = redis.inspector()
            let readers = CacheKeys(catalog: UnwrittenStore.catalog).readers
            try await holdingLeases([reader]) {
                let score = try await inspector.send("ZSCORE", RedisArgument(readers), RedisArgument(reader.lease.readerID))
                #expect(score.integer != nil)
            }
            // So no write waits out its 30-second lease: writers wait only for the readers the registry lists.
            #expect(try await inspector.send("ZSCORE", RedisArgument(readers), RedisArgument(reader.lease.readerID)) == .null)
            await inspector.shutdown()
        }
    }

    @Test func withRedisGoneALeasedReaderStopsServingFromMemory() async throws {
        try await RedisServer.with { redis in
            let reader = redis.responseCache()
            try await holdingLeases([reader]) {
                _ = try await reader.body(for: "k", policy: .normal) { body("stored") }
                #expect(try await reader.body(for: "k", policy: .normal) { body("unexpected fill") }.tier == .memory)
                redis.stop()
                let stillInForce = try await eventually {
                    reader.lease.isInForce
                } until: {
                    !$0
                }
                #expect(!stillInForce)
                let read = try await reader.body(for: "k", policy: .normal) { body("from the database") }
                #expect(read.outcome == .error && read.body == body("from the database"))
            }
        }
    }

    @Test func aWriteThatCannotReachRedisIsAnsweredOnlyOnceEveryLeaseHasEnded() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let writer = redis.responseCache(lease: .milliseconds(700), clock: CacheClock(clock))
            redis.stop()
            let write = Task { await writer.invalidateCatalog(after: StoreVersions(catalog: 2, sessions: 1)) }
            try await clock.untilSleeping()
            clock.advance(by: .milliseconds(699))
            #expect(clock.sleeping == 1)
            clock.advance(by: .milliseconds(1))
            await write.value
            #expect(writer.owesInvalidation)
        }
    }

    @Test func afterRedisLosesItsRegistryAWriteWaitsOutEveryLease() async throws {
        try await RedisServer.with { redis in
            // Two clocks moved alike, so the writer's sleeps can be counted apart from the reader's renewals.
            let readerClock = ManualClock()
            let writerClock = ManualClock()
            let reader = redis.responseCache(clock: CacheClock(readerClock))
            let writer = redis.responseCache(clock: CacheClock(writerClock))
            let inspector = redis.inspector()
            try await holdingLeases([reader]) {
                for round in 0..<5 {
                    try await reader.lease.untilTrusted()
                    _ = try await reader.body(for: "k", policy: .normal) { body("before \(round)") }
                    #expect(try await reader.body(for: "k", policy: .normal) { body("unexpected fill") }.tier == .memory)
                    // The registry (and everything else) is gone; the reader still holds its lease.
                    _ = try await inspector.send("FLUSHALL").checked()
                    let write = Task { await writer.invalidateCatalog(after: StoreVersions(catalog: Int64(round + 2), sessions: 1)) }
                    try await writerClock.untilSleeping()
                    // A registry younger than a lease hides readers: the writer waits a whole one...
                    writerClock.advance(by: .milliseconds(999))
                    #expect(writerClock.sleeping == 1)
                    writerClock.advance(by: .milliseconds(1))
                    await write.value
                    // ...in which the reader's lease, taken before the write, has run out.
                    readerClock.advance(by: .seconds(1))
                    let after = try await reader.body(for: "k", policy: .normal) { body("after \(round)") }
                    #expect(after.body == body("after \(round)"))
                }
            }
            await inspector.shutdown()
        }
    }

    private static func serverMilliseconds(_ client: RedisClient) async throws -> Int {
        guard case .array(let parts) = try await client.send("TIME").checked(), parts.count == 2,
            let seconds = parts[0].integer, let micros = parts[1].integer
        else { throw TestFailure("unexpected TIME reply") }
        return Int(seconds * 1000 + micros / 1000)
    }
}
