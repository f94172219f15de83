import BookcatCore
import BookcatTestSupport
import Testing

@testable import BookcatCache

/// An in-place change (``StoreVersions/bookChanges``) makes unreachable exactly the entries that show its book, in
/// Redis and in every leased process's memory, before the write is answered; and a fill that rendered the book
/// before the change never stores it afterwards.
@Suite("In-place changes: only the bodies that show the book")
struct InPlaceInvalidationTests {
    @Test func aChangedBookMakesUnreachableItsPagesInEveryProcessAndNoOther() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let reader = redis.responseCache(store: store)
            let writer = redis.responseCache(store: store)
            try await holdingLeases([reader, writer]) {
                for round in 1...20 {
                    let changed = Int64(round % 5)
                    for cache in [reader, writer] {
                        _ = try await cache.body(for: "showing \(changed)", policy: .normal) {
                            body("\(changed) before \(round)", showing: [changed, 99])
                        }
                        _ = try await cache.body(for: "others", policy: .normal) { body("others", showing: [42, 43]) }
                        _ = try await cache.body(for: "no book", policy: .normal) { body("tags", showing: []) }
                        _ = try await cache.body(for: "any book", policy: .normal) { body("any \(round)", showing: nil) }
                    }
                    // The write: committed (logged), then published by its own process before it is answered.
                    await writer.reconcile(with: store.changeInPlace(changed))
                    for cache in [reader, writer] {
                        let page = try await cache.body(for: "showing \(changed)", policy: .normal) {
                            body("\(changed) after \(round)", showing: [changed, 99])
                        }
                        #expect(page.body == body("\(changed) after \(round)", showing: [changed, 99]), "round \(round)")
                        let anyBook = try await cache.body(for: "any book", policy: .normal) { body("any after \(round)", showing: nil) }
                        #expect(anyBook.body == body("any after \(round)", showing: nil))
                        for (key, kept) in [("others", body("others", showing: [42, 43])), ("no book", body("tags", showing: []))] {
                            let read = try await cache.body(for: key, policy: .normal) { body("unexpected fill", showing: []) }
                            #expect(read.outcome == .hit && read.body == kept, "\(key) in round \(round)")
                        }
                    }
                }
            }
        }
    }

    /// Fills `page` with `rendered`, which it renders before book 5 changes in place and tries to store after; runs
    /// `meanwhile` once the change is answered and before the fill goes on, and returns what it returned.
    @discardableResult
    private func fillRacingAChangeOfBook5<Value: Sendable>(
        _ cache: RedisResponseCache,
        _ store: UnwrittenStore,
        rendered: CachedBody,
        meanwhile: () async throws -> Value = {}
    ) async throws -> Value {
        let fillStarted = AsyncGate()
        let releaseFill = AsyncGate()
        let slowRead = Task {
            try await cache.body(for: "page", policy: .normal) {
                await fillStarted.open()
                await releaseFill.wait()
                return rendered
            }
        }
        await fillStarted.wait()
        await cache.reconcile(with: store.changeInPlace(5))
        let value = try await meanwhile()
        await releaseFill.open()
        #expect(try await slowRead.value.outcome == .miss)
        return value
    }

    @Test(arguments: [[Int64(5)], [5, 6], nil])
    func aFillThatRenderedTheBookBeforeItChangedIsNotStored(books: [Int64]?) async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            try await fillRacingAChangeOfBook5(cache, store, rendered: body("book 5 before", showing: books))
            let after = try await cache.body(for: "page", policy: .normal) { body("book 5 after", showing: books) }
            #expect(after.outcome == .miss && after.body == body("book 5 after", showing: books))
            let again = try await cache.body(for: "page", policy: .normal) { body("unexpected fill", showing: books) }
            #expect(again.outcome == .hit && again.body == body("book 5 after", showing: books))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aRequestAfterAChangeDoesNotShareAFillThatBeganBeforeIt() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            // The change is answered; a request that arrives after it must not be handed the slow fill's body.
            let read = try await fillRacingAChangeOfBook5(cache, store, rendered: body("book 5 before", showing: [5])) {
                try await cache.body(for: "page", policy: .normal) { body("book 5 after", showing: [5]) }
            }
            #expect(read.body == body("book 5 after", showing: [5]))
        }
    }

    @Test func aFillOfOtherBooksIsStoredAcrossAChange() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            try await fillRacingAChangeOfBook5(cache, store, rendered: body("books 6 and 7", showing: [6, 7]))
            let again = try await cache.body(for: "page", policy: .normal) { body("unexpected fill", showing: [6, 7]) }
            #expect(again.outcome == .hit && again.body == body("books 6 and 7", showing: [6, 7]))
        }
    }

    @Test func aChangeNoProcessCouldAnnounceEndsHitsOnItsBookWithinOneLeaseAndKeepsTheRest() async throws {
        try await RedisServer.with { redis in
            let clock = ManualClock()
            let store = UnwrittenStore()
            let fromMemory = redis.responseCache(store: store, clock: CacheClock(clock))
            let fromRedis = redis.responseCache(store: store, memoryBytes: 0, clock: CacheClock(clock))
            let checks = Task { await fromRedis.keepCurrent() }
            defer { checks.cancel() }
            try await holdingLeases([fromMemory]) {
                for round in 1...3 {
                    let book = Int64(round)
                    for cache in [fromMemory, fromRedis] {
                        _ = try await cache.body(for: "book \(book)", policy: .normal) { body("\(book) before", showing: [book]) }
                        _ = try await cache.body(for: "book 100", policy: .normal) { body("100", showing: [100]) }
                    }
                    // A writer cut off from Redis: the store logs its change, and it answers after one lease.
                    store.changeInPlace(book)
                    clock.advance(by: StoreCoverageTests.writerWait)
                    for cache in [fromMemory, fromRedis] {
                        let read = try await cache.body(for: "book \(book)", policy: .normal) { body("\(book) after", showing: [book]) }
                        #expect(read.body == body("\(book) after", showing: [book]), "round \(round)")
                        let other = try await cache.body(for: "book 100", policy: .normal) { body("unexpected fill", showing: [100]) }
                        #expect(other.outcome == .hit && other.body == body("100", showing: [100]), "round \(round)")
                    }
                }
            }
        }
    }

    @Test func aChangeWhoseWriterCrashedBeforePublishingIsPaidByTheNextProcess() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let crashed = redis.responseCache(store: store)
            await crashed.reconcile(with: try await store.storeVersions())
            _ = try await crashed.body(for: "book 5", policy: .normal) { body("5 before", showing: [5]) }
            // Committed, then the process died before its publish: nobody announced it.
            store.changeInPlace(5)
            // The next process knows no head of its own: Redis's is behind the store's, so everything goes.
            let next = redis.responseCache(store: store)
            await next.reconcile(with: try await store.storeVersions())
            let read = try await next.body(for: "book 5", policy: .normal) { body("5 after", showing: [5]) }
            #expect(read.outcome == .miss && read.body == body("5 after", showing: [5]))
        }
    }

    @Test func aChangeTheStoreNoLongerLogsMakesANewGeneration() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            await cache.reconcile(with: try await store.storeVersions())
            _ = try await cache.body(for: "other book", policy: .normal) { body("200", showing: [200]) }
            // A head past the log's end: the store cannot say which books changed.
            var versions = try await store.storeVersions()
            versions.bookChanges = 10
            store.set(versions)
            await cache.reconcile(with: versions)
            let read = try await cache.body(for: "other book", policy: .normal) { body("rendered afresh", showing: [200]) }
            #expect(read.outcome == .miss)
        }
    }
}
