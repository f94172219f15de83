import BookcatCore
import BookcatTestSupport
import Testing

@testable import BookcatCache

@Suite("Cache tier in process memory")
struct NearCacheTests {
    @Test func aBodyInMemoryIsServedOnlyWhileRedisSaysItsGenerationIsCurrent() async throws {
        try await RedisServer.with { redis in
            let reader = redis.responseCache()
            let writer = redis.responseCache()
            let first = try await reader.body(for: "books:list:", policy: .normal) { body("before") }
            #expect(first.outcome == .miss)
            let warm = try await reader.body(for: "books:list:", policy: .normal) { body("unexpected fill") }
            #expect(warm.outcome == .hit && warm.tier == .memory && warm.body == body("before"))

            // Another process writes; the reader hears nothing of it except through the generation it reads.
            await writer.invalidateCatalog(after: StoreVersions(catalog: 2, sessions: 1))
            let afterWrite = try await reader.body(for: "books:list:", policy: .normal) { body("after") }
            #expect(afterWrite.outcome == .miss)
            #expect(afterWrite.body == body("after"))
            let again = try await reader.body(for: "books:list:", policy: .normal) { body("unexpected fill") }
            #expect(again.tier == .memory && again.body == body("after"))
        }
    }

    @Test func withRedisDownNothingIsServedFromMemory() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            _ = try await cache.body(for: "books:detail:1", policy: .normal) { body("cached") }
            #expect(try await cache.body(for: "books:detail:1", policy: .normal) { body("unexpected fill") }.tier == .memory)
            redis.stop()
            let read = try await cache.body(for: "books:detail:1", policy: .normal) { body("from the database") }
            #expect(read.outcome == .error)
            #expect(read.tier == nil)
            #expect(read.body == body("from the database"))
        }
    }

    @Test func aHitFromRedisIsKeptForTheNextOne() async throws {
        try await RedisServer.with { redis in
            _ = try await redis.responseCache().body(for: "k", policy: .normal) { body("stored by another process") }
            let cache = redis.responseCache()
            let fromRedis = try await cache.body(for: "k", policy: .normal) { body("unexpected fill") }
            #expect(fromRedis.outcome == .hit && fromRedis.tier == .redis)
            let fromMemory = try await cache.body(for: "k", policy: .normal) { body("unexpected fill") }
            #expect(fromMemory.tier == .memory && fromMemory.body == body("stored by another process"))
        }
    }

    @Test func aRefreshReplacesTheBodyInMemory() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache()
            _ = try await cache.body(for: "k", policy: .normal) { body("old render") }
            let refreshed = try await cache.body(for: "k", policy: .refresh) { body("new render") }
            #expect(refreshed.outcome == .miss)
            let next = try await cache.body(for: "k", policy: .normal) { body("unexpected fill") }
            #expect(next.tier == .memory && next.body == body("new render"))
        }
    }

    @Test func turnedOffEveryHitComesFromRedis() async throws {
        try await RedisServer.with { redis in
            let cache = redis.responseCache(memoryBytes: 0)
            _ = try await cache.body(for: "k", policy: .normal) { body("stored") }
            for _ in 0..<3 {
                let read = try await cache.body(for: "k", policy: .normal) { body("unexpected fill") }
                #expect(read.outcome == .hit && read.tier == .redis)
            }
        }
    }

    @Test func itStaysWithinItsBytesDroppingTheOldestFirst() {
        let near = NearCache(capacityBytes: 10_000)
        for index in 0..<40 { near.store(body("entry \(index)", size: 1_000), for: "key \(index)", generation: "7", readAt: 0) }
        #expect(near.storedBytes <= 10_000)
        #expect(near.body(for: "key 39", generation: "7") != nil)
        #expect(near.body(for: "key 0", generation: "7") == nil)
        // One entry may not take most of the room.
        near.store(body("huge", size: 5_000), for: "huge", generation: "7", readAt: 0)
        #expect(near.body(for: "huge", generation: "7") == nil)
    }

    @Test func aNewerGenerationDropsEverythingAndAnOlderOneIsIgnored() {
        let near = NearCache(capacityBytes: 100_000)
        near.store(body("a"), for: "a", generation: "41", readAt: 0)
        near.store(body("b"), for: "b", generation: "42", readAt: 0)
        #expect(near.body(for: "a", generation: "41") == nil)
        #expect(near.body(for: "a", generation: "42") == nil)
        #expect(near.storedBytes == near.body(for: "b", generation: "42").map { NearCache.size(of: $0, key: "b") })
        // A fill that began before the generation moved finishes late: nobody could be served it.
        near.store(body("late"), for: "late", generation: "41", readAt: 0)
        #expect(near.body(for: "late", generation: "41") == nil)
        #expect(near.body(for: "b", generation: "42") == body("b"))
    }
}

@Suite("Cache tier in process memory: in-place changes")
struct NearCacheInPlaceChangeTests {
    @Test func aChangedBookDropsTheBodiesThatShowItAndOnlyThose() {
        let near = NearCache(capacityBytes: 100_000)
        near.store(body("page 1-2", showing: [1, 2]), for: "a", generation: "7", readAt: 10)
        near.store(body("page 3", showing: [3]), for: "b", generation: "7", readAt: 10)
        near.store(body("tags", showing: []), for: "c", generation: "7", readAt: 10)
        near.store(body("anything", showing: nil), for: "d", generation: "7", readAt: 10)
        near.drop(books: [2], generation: "7", change: 11)
        #expect(near.body(for: "a", generation: "7") == nil)
        #expect(near.body(for: "b", generation: "7") == body("page 3", showing: [3]))
        #expect(near.body(for: "c", generation: "7") == body("tags", showing: []))
        // A body that may show any book goes with every change.
        #expect(near.body(for: "d", generation: "7") == nil)
    }

    @Test func aBodyReadBeforeAChangeOfOneOfItsBooksIsNotKept() {
        let near = NearCache(capacityBytes: 100_000)
        near.drop(books: [2], generation: "7", change: 11)
        // Read from Redis just before the change deleted it there, and arriving after the change's announcement.
        near.store(body("stale", showing: [1, 2]), for: "a", generation: "7", readAt: 10)
        #expect(near.body(for: "a", generation: "7") == nil)
        near.store(body("stale, any book", showing: nil), for: "d", generation: "7", readAt: 10)
        #expect(near.body(for: "d", generation: "7") == nil)
        // Read at or after the change, or showing only other books: kept.
        near.store(body("fresh", showing: [1, 2]), for: "a", generation: "7", readAt: 11)
        near.store(body("other books", showing: [3]), for: "b", generation: "7", readAt: 10)
        #expect(near.body(for: "a", generation: "7") == body("fresh", showing: [1, 2]))
        #expect(near.body(for: "b", generation: "7") == body("other books", showing: [3]))
    }

    @Test func untilTheFloorIsSetNothingIsKeptAndAfterwardsNothingReadBeforeIt() {
        let near = NearCache(capacityBytes: 100_000)
        near.removeAll(floor: .max)
        near.store(body("read before the subscription's first count", showing: [1]), for: "a", generation: "7", readAt: 50)
        #expect(near.body(for: "a", generation: "7") == nil)
        near.raiseFloor(to: 60)
        near.store(body("still before it", showing: [1]), for: "a", generation: "7", readAt: 59)
        #expect(near.body(for: "a", generation: "7") == nil)
        near.store(body("after it", showing: [1]), for: "a", generation: "7", readAt: 60)
        #expect(near.body(for: "a", generation: "7") != nil)
    }

    @Test func manyChangesAndRestoresKeepTheIndexBounded() {
        let near = NearCache(capacityBytes: 1 << 20)
        var change: Int64 = 0
        var changedAt: [Int64: Int64] = [:]
        var held = 0
        for round in 0..<2_000 {
            let books = (0..<20).map { Int64(($0 * 7 + round) % 500) }
            // Some bodies arrive late: read a few changes ago.
            near.store(body("page \(round)", showing: books), for: "key \(round % 50)", generation: "7", readAt: change - Int64(round % 4))
            if round % 3 == 0 {
                change += 1
                let book = Int64((round * 7) % 500)
                changedAt[book] = change
                near.drop(books: [book], generation: "7", change: change)
            }
        }
        // Every body still held shows no book changed after it was read.
        for key in 0..<50 {
            guard let entry = near.entry(for: "key \(key)", generation: "7") else { continue }
            held += 1
            for book in entry.body.books ?? [] {
                #expect((changedAt[book] ?? .min) <= entry.readAt, "key \(key) shows book \(book), changed after it was read")
            }
        }
        #expect(held > 0)
        #expect(near.indexedListings <= 1_024 + 2 * 50 * 20)
    }

    /// The soak that found it: under stock changes the tier is never full, so nothing is evicted, and every body a
    /// change dropped and a read stored again added a record to the order of stores, which grew without end.
    @Test func bodiesDroppedAndStoredAgainForeverKeepEveryStructureBounded() {
        let near = NearCache(capacityBytes: 1 << 20)
        var change: Int64 = 0
        var largest = NearCache.Footprint()
        for round in 0..<20_000 {
            let page = round % 100
            near.store(body("page \(page)", showing: [Int64(page), Int64(page + 1)]), for: "key \(page)", generation: "7", readAt: change)
            change += 1
            near.drop(books: [Int64(round % 101)], generation: "7", change: change)
            // Books changed in place, many more than the tier may remember.
            near.drop(books: [Int64(1_000 + round)], generation: "7", change: change)
            let now = near.footprint
            largest.orderRecords = max(largest.orderRecords, now.orderRecords)
            largest.indexListings = max(largest.indexListings, now.indexListings)
            largest.changedBooks = max(largest.changedBooks, now.changedBooks)
            largest.bytes = max(largest.bytes, now.bytes)
        }
        // Far below capacity all along: nothing was ever evicted, everything went by drops.
        #expect(largest.bytes < near.capacityBytes / 4)
        #expect(largest.orderRecords <= 64 + 2 * 100 + 1)
        #expect(largest.indexListings <= 1_024 + 2 * 2 * 100 + 2)
        #expect(largest.changedBooks <= near.rememberedChanges + 1)
        #expect(near.rememberedChanges == (1 << 20) / 8 / 64)
    }
}
