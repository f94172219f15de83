import BookcatCache
import BookcatCore
import BookcatTestSupport
import MetricsTestKit
import Testing

/// The cache's counters, read from swift-metrics' test factory: each outcome counts once, where it happens.
@Suite("Cache metrics")
struct CacheMetricsTests {
    @Test func eachOutcomeIsCountedOnce() async throws {
        try await RedisServer.with { redis in
            let metrics = TestMetrics()
            // No memory tier: the hit comes from Redis, and only `cache_hits_total` counts it.
            let cache = redis.responseCache(memoryBytes: 0, metrics: metrics)
            let miss = try await cache.body(for: "books:list:", policy: .normal) { body("filled") }
            let hit = try await cache.body(for: "books:list:", policy: .normal) { body("unexpected fill") }
            let bypass = try await cache.body(for: "books:list:", policy: .bypass) { body("bypassed") }
            #expect([miss.outcome, hit.outcome, bypass.outcome] == [.miss, .hit, .bypass])
            await cache.invalidateCatalog(after: StoreVersions(catalog: 2, sessions: 1))

            #expect(try count("cache_misses_total", in: metrics) == 1)
            #expect(try count("cache_hits_total", in: metrics) == 1)
            #expect(try count("cache_memory_hits_total", in: metrics) == 0)
            #expect(try count("cache_bypasses_total", in: metrics) == 1)
            #expect(try count("cache_invalidations_total", in: metrics) == 1)
            #expect(try count("cache_errors_total", in: metrics) == 0)
        }
    }

    @Test func aHitFromMemoryCountsAsAHitAndAMemoryHit() async throws {
        try await RedisServer.with { redis in
            let metrics = TestMetrics()
            let cache = redis.responseCache(metrics: metrics)
            try await holdingLeases([cache]) {
                _ = try await cache.body(for: "books:list:", policy: .normal) { body("filled") }
                let read = try await cache.body(for: "books:list:", policy: .normal) { body("unexpected fill") }
                #expect(read.outcome == .hit && read.tier == .memory)
            }
            #expect(try count("cache_hits_total", in: metrics) == 1)
            #expect(try count("cache_memory_hits_total", in: metrics) == 1)
        }
    }

    @Test func readsWithRedisGoneCountAsErrorsAndStillAnswer() async throws {
        try await RedisServer.with { redis in
            let metrics = TestMetrics()
            let cache = redis.responseCache(metrics: metrics)
            redis.stop()
            let read = try await cache.body(for: "books:list:", policy: .normal) { body("from the database") }
            #expect(read.outcome == .error && read.body == body("from the database"))
            #expect(try count("cache_errors_total", in: metrics) >= 1)
            #expect(try count("cache_hits_total", in: metrics) == 0)
        }
    }

    @Test func whatTheCacheHoldsInMemoryIsOnItsGauges() async throws {
        try await RedisServer.with { redis in
            let metrics = TestMetrics()
            let cache = redis.responseCache(metrics: metrics)
            try await holdingLeases([cache]) {
                _ = try await cache.body(for: "k", policy: .normal) { body("stored", showing: [1, 2]) }
                // Set every fifth of a lease by the loop that keeps the cache current.
                let entries = try await eventually {
                    try? metrics.expectGauge("cache_memory_entries").lastValue
                } until: {
                    $0 == 1
                }
                #expect(entries == 1)
                #expect(try metrics.expectGauge("cache_memory_index_listings").lastValue == 2)
                #expect(try metrics.expectGauge("cache_memory_order_records").lastValue == 1)
                #expect((try metrics.expectGauge("cache_memory_bytes").lastValue ?? 0) > Double("stored".utf8.count))
                #expect(try metrics.expectGauge("cache_memory_changed_books").lastValue == 0)
                #expect(try metrics.expectGauge("cache_fills_in_flight").lastValue == 0)
                #expect(try metrics.expectGauge("cache_lease_readers_remembered").lastValue != nil)
            }
        }
    }

    private func count(_ label: String, in metrics: TestMetrics) throws -> Int64 {
        try metrics.expectCounter(label).totalValue
    }
}
