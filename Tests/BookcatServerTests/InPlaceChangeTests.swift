import BookcatTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing

/// A stock change (every loan and return) makes unreachable only the cached bodies that show the book, across
/// processes and under concurrency, and still no process serves a body older than a write any process answered.
@Suite("In-place changes across processes")
struct InPlaceChangeTests {
    static let writers = 4
    static let rounds = 12
    static let books = 24

    @Test func underConcurrentStockChangesNoProcessServesAStockOlderThanAnAnsweredWrite() async throws {
        try await TestApp.runTwoInstances { first, second in
            let token = try await first.admin().accessToken
            var created: [Int64] = []
            for index in 0..<Self.books {
                let title = "Shelf " + String(format: "%02d", index)
                created.append(try await first.createBook(token: token, ["title": title, "stock": 0]).int("book_id"))
            }
            let ids = created
            // Two pages of twelve, in title order: book `index` is on page index / 12 + 1.
            let page: @Sendable (Int) -> String = { index in "/api/v1/books?title=Shelf&order_by=title&page_size=12&page=\(index / 12 + 1)" }
            let instances = [first, second]
            let writing = ManagedAtomicFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Readers keep both instances filling and hitting every page meanwhile, so fills race the writes.
                for reader in 0..<4 {
                    group.addTask {
                        var turn = reader
                        while writing.isSet {
                            let instance = instances[turn % 2]
                            let path = turn % 3 == 0 ? page(turn % Self.books) : "/api/v1/books/\(ids[turn % Self.books])"
                            let response = try await instance.send(.get, path, token: token)
                            #expect(response.status == .ok)
                            turn += 1
                        }
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    // Writer `w` alone changes books w, w + 4, …: the stock it last wrote is the only current one.
                    for writer in 0..<Self.writers {
                        writers.addTask {
                            for round in 1...Self.rounds {
                                let index = writer + Self.writers * (round % (Self.books / Self.writers))
                                let id = ids[index]
                                let stock = round
                                let patched = try await instances[round % 2].send(.patch, "/api/v1/books/\(id)", token: token, json: ["stock": stock])
                                #expect(patched.status == .ok)
                                for instance in instances {
                                    let detail = try await instance.send(.get, "/api/v1/books/\(id)", token: token)
                                    #expect(try detail.object().int("stock") == Int64(stock), "book \(id) after round \(round)")
                                    let listed = try await instance.send(.get, page(index), token: token)
                                    let row = try #require(try listed.object()["results"] as? [[String: Any]]).first {
                                        ($0["book_id"] as? Int) == Int(id)
                                    }
                                    #expect((row?["stock"] as? Int) == stock, "book \(id) on its page after round \(round)")
                                }
                            }
                        }
                    }
                    try await writers.waitForAll()
                }
                writing.clear()
                try await group.waitForAll()
            }
            // The other books' pages were not all made unreachable: a detail nobody wrote is still a hit.
            let untouched = try await second.send(.get, "/api/v1/books/\(ids[Self.books - 1])", token: token)
            #expect(untouched.cacheOutcome == "HIT")
        }
    }
}

/// A flag readers poll while writers run.
private final class ManagedAtomicFlag: Sendable {
    private let flag = NIOLockedValueBox(true)
    var isSet: Bool { flag.withLockedValue { $0 } }
    func clear() { flag.withLockedValue { $0 = false } }
}
