import BookcatCore
import BookcatTestSupport
import NIOConcurrencyHelpers
import Testing

@testable import BookcatCache

/// A write whose writer could not reach Redis (a partial partition) reaches Redis anyway: through the store's
/// versions, which every process's hits rest on (``StoreCoverage``).
@Suite("Hits rest on the store's versions")
struct StoreCoverageTests {
    /// What the cut-off writer does: it commits (the store's versions move), cannot publish, and answers after one
    /// lease. Every cache here counts time on one manual clock, which the test moves by that lease.
    static let writerWait = Duration.seconds(1)

    @Test func aWriteNoProcessCouldAnnounceEndsHitsFromMemoryAndFromRedisWithinOneLease() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let store = UnwrittenStore()
            let fromMemory = redis.responseCache(store: store, clock: CacheClock(clock))
            let fromRedis = redis.responseCache(store: store, memoryBytes: 0, clock: CacheClock(clock))
            // It holds no lease (nothing in memory to serve), but checks the store's versions all the same.
            let checks = Task { await fromRedis.keepCurrent() }
            defer { checks.cancel() }
            try await holdingLeases([fromMemory]) {
                for round in 1...3 {
                    let key = "page read in round \(round)"
                    for cache in [fromMemory, fromRedis] {
                        _ = try await cache.body(for: key, policy: .normal) { body("before write \(round)") }
                        let warm = try await cache.body(for: key, policy: .normal) { body("unexpected fill") }
                        #expect(warm.outcome == .hit && warm.body == body("before write \(round)"))
                    }
                    store.set(StoreVersions(catalog: Int64(round), sessions: 0))
                    clock.advance(by: Self.writerWait)
                    for cache in [fromMemory, fromRedis] {
                        // The first to read renders afresh, the second may hit what the first stored: never the old page.
                        let read = try await cache.body(for: key, policy: .normal) { body("after write \(round)") }
                        #expect(read.body == body("after write \(round)"), "round \(round)")
                    }
                }
            }
        }
    }

    @Test func aSessionEndedWhereNoProcessCouldAnnounceItComesWithTheNextHit() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let store = UnwrittenStore()
            let reader = redis.responseCache(store: store, clock: CacheClock(clock))
            try await holdingLeases([reader]) {
                _ = try await reader.body(for: "k", policy: .normal) { body("page") }
                store.set(StoreVersions(catalog: 0, sessions: 7))
                clock.advance(by: Self.writerWait)
                let read = try await reader.body(for: "k", policy: .normal) { body("unexpected fill") }
                // Only the sessions moved: the page stays, and the hit carries the new epoch, so a remembered session
                // from before it is looked up again.
                #expect(read.outcome == .hit && read.body == body("page") && read.sessionEpoch == 7)
            }
        }
    }

    @Test func withoutItsBackgroundChecksAHitRunsOneItself() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store, memoryBytes: 0, clock: CacheClock(clock))
            _ = try await cache.body(for: "k", policy: .normal) { body("before") }
            store.set(StoreVersions(catalog: 1, sessions: 0))
            clock.advance(by: Self.writerWait)
            let read = try await cache.body(for: "k", policy: .normal) { body("after") }
            #expect(read.outcome == .miss && read.body == body("after"), "\(read.outcome)")
        }
    }

    @Test func hitsArrivingTogetherShareOneCheckThatBeganAfterTheyArrived() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let store = CountingStore()
            let cache = redis.responseCache(store: store, memoryBytes: 0, clock: CacheClock(clock))
            _ = try await cache.body(for: "k", policy: .normal) { body("page") }
            clock.advance(by: Self.writerWait)
            let before = store.reads
            try await withThrowingTaskGroup(of: CacheRead.self) { group in
                for _ in 0..<50 { group.addTask { try await cache.body(for: "k", policy: .normal) { body("unexpected fill") } } }
                for try await read in group { #expect(read.outcome == .hit) }
            }
            // One check for the 50 (a second only if some arrived after the first began).
            #expect((1...2).contains(store.reads - before))
        }
    }

    @Test func withoutTheStoresVersionsNothingIsServedFromTheCache() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let store = CountingStore()
            let cache = redis.responseCache(store: store, clock: CacheClock(clock))
            try await holdingLeases([cache]) {
                _ = try await cache.body(for: "k", policy: .normal) { body("page") }
                store.fails = true
                clock.advance(by: Self.writerWait)
                let read = try await cache.body(for: "k", policy: .normal) { body("from the database") }
                #expect(read.outcome == .error && read.body == body("from the database"))
            }
        }
    }
}

/// A store that counts how often its versions are read, and can stop answering.
private final class CountingStore: StoreVersionSource {
    struct Unreachable: Error {}
    private let state = NIOLockedValueBox((reads: 0, fails: false))

    var reads: Int { state.withLockedValue { $0.reads } }
    var fails: Bool {
        get { state.withLockedValue { $0.fails } }
        set { state.withLockedValue { $0.fails = newValue } }
    }

    func catalogIdentity() async throws -> String { UnwrittenStore.catalog }

    func storeVersions() async throws -> StoreVersions {
        let fails = state.withLockedValue { state in
            state.reads += 1
            return state.fails
        }
        if fails { throw Unreachable() }
        return StoreVersions(catalog: 0, sessions: 0)
    }
}
