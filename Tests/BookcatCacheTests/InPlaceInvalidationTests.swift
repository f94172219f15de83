import BookcatCore
import BookcatTestSupport
import Testing

@testable import BookcatCache

/// An in-place change (``StoreVersions/bookChanges``) makes unreachable exactly the entries that show its book, in
/// Redis and in every leased process's memory, before the write is answered; and a fill that rendered the book
/// before the change never stores it afterwards.
@Suite("In-place changes: only the bodies that show the book")
struct InPlaceInvalidationTests {
    private func showing(_ text: String, books: [Int64]?) -> CachedBody {
        var shown = body(text)
        shown.books = books
        return shown
    }

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
                            showing("\(changed) before \(round)", books: [changed, 99])
                        }
                        _ = try await cache.body(for: "others", policy: .normal) { showing("others", books: [42, 43]) }
                        _ = try await cache.body(for: "no book", policy: .normal) { showing("tags", books: []) }
                        _ = try await cache.body(for: "any book", policy: .normal) { showing("any \(round)", books: nil) }
                    }
                    // The write: committed (logged), then published by its own process before it is answered.
                    await writer.reconcile(with: store.changeInPlace(changed))
                    for cache in [reader, writer] {
                        let page = try await cache.body(for: "showing \(changed)", policy: .normal) {
                            showing("\(changed) after \(round)", books: [changed, 99])
                        }
                        #expect(page.body == showing("\(changed) after \(round)", books: [changed, 99]), "round \(round)")
                        let anyBook = try await cache.body(for: "any book", policy: .normal) { showing("any after \(round)", books: nil) }
                        #expect(anyBook.body == showing("any after \(round)", books: nil))
                        for (key, kept) in [("others", showing("others", books: [42, 43])), ("no book", showing("tags", books: []))] {
                            let read = try await cache.body(for: key, policy: .normal) { showing("unexpected fill", books: []) }
                            #expect(read.outcome == .hit && read.body == kept, "\(key) in round \(round)")
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: [[Int64(5)], [5, 6], nil])
    func aFillThatRenderedTheBookBeforeItChangedIsNotStored(books: [Int64]?) async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            let fillStarted = AsyncGate()
            let releaseFill = AsyncGate()
            // A slow reader: it renders book 5 as it was, then stalls before storing it.
            let slowRead = Task {
                try await cache.body(for: "page", policy: .normal) {
                    await fillStarted.open()
                    await releaseFill.wait()
                    return showing("book 5 before", books: books)
                }
            }
            await fillStarted.wait()
            await cache.reconcile(with: store.changeInPlace(5))
            await releaseFill.open()
            #expect(try await slowRead.value.outcome == .miss)
            let after = try await cache.body(for: "page", policy: .normal) { showing("book 5 after", books: books) }
            #expect(after.outcome == .miss && after.body == showing("book 5 after", books: books))
            let again = try await cache.body(for: "page", policy: .normal) { showing("unexpected fill", books: books) }
            #expect(again.outcome == .hit && again.body == showing("book 5 after", books: books))
        }
    }

    @Test func aFillOfOtherBooksIsStoredAcrossAChange() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            let fillStarted = AsyncGate()
            let releaseFill = AsyncGate()
            let slowRead = Task {
                try await cache.body(for: "page", policy: .normal) {
                    await fillStarted.open()
                    await releaseFill.wait()
                    return showing("books 6 and 7", books: [6, 7])
                }
            }
            await fillStarted.wait()
            await cache.reconcile(with: store.changeInPlace(5))
            await releaseFill.open()
            _ = try await slowRead.value
            let again = try await cache.body(for: "page", policy: .normal) { showing("unexpected fill", books: [6, 7]) }
            #expect(again.outcome == .hit)
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
                        _ = try await cache.body(for: "book \(book)", policy: .normal) { showing("\(book) before", books: [book]) }
                        _ = try await cache.body(for: "book 100", policy: .normal) { showing("100", books: [100]) }
                    }
                    // A writer cut off from Redis: the store logs its change, and it answers after one lease.
                    store.changeInPlace(book)
                    clock.advance(by: StoreCoverageTests.writerWait)
                    for cache in [fromMemory, fromRedis] {
                        let read = try await cache.body(for: "book \(book)", policy: .normal) { showing("\(book) after", books: [book]) }
                        #expect(read.body == showing("\(book) after", books: [book]), "round \(round)")
                        let other = try await cache.body(for: "book 100", policy: .normal) { showing("unexpected fill", books: [100]) }
                        #expect(other.outcome == .hit && other.body == showing("100", books: [100]), "round \(round)")
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
            _ = try await crashed.body(for: "book 5", policy: .normal) { showing("5 before", books: [5]) }
            // Committed, then the process died before its publish: nobody announced it.
            store.changeInPlace(5)
            // The next process knows no head of its own: Redis's is behind the store's, so everything goes.
            let next = redis.responseCache(store: store)
            await next.reconcile(with: try await store.storeVersions())
            let read = try await next.body(for: "book 5", policy: .normal) { showing("5 after", books: [5]) }
            #expect(read.outcome == .miss && read.body == showing("5 after", books: [5]))
        }
    }

    @Test func aChangeTheStoreNoLongerLogsMakesANewGeneration() async throws {
        try await RedisServer.with { redis in
            let store = UnwrittenStore()
            let cache = redis.responseCache(store: store)
            await cache.reconcile(with: try await store.storeVersions())
            _ = try await cache.body(for: "other book", policy: .normal) { showing("200", books: [200]) }
            // A head past the log's end: the store cannot say which books changed.
            var versions = try await store.storeVersions()
            versions.bookChanges = 10
            store.set(versions)
            await cache.reconcile(with: versions)
            let read = try await cache.body(for: "other book", policy: .normal) { showing("rendered afresh", books: [200]) }
            #expect(read.outcome == .miss)
        }
    }
}
