import BookcatCore
import BookcatTestSupport
import Foundation
import Logging
import Testing

@testable import BookcatPostgres

/// Writes that arrive together share a transaction (`PostgresGroupCommit`) and book creations share a statement
/// (`PostgresBookCreations`), yet each keeps the answer it would have had alone.
@Suite("PostgreSQL grouped writes")
struct PostgresGroupedWritesTests {
    static let logger = Logger(label: "bookcat-postgres-grouped-writes")

    static func draft(_ isbn: String, tags: [Int64] = []) -> BookDraft {
        BookDraft(
            title: "Grouped \(isbn)",
            author: "Tester",
            isbn: isbn,
            publisher: isbn.hasSuffix("1") ? nil : "Press",
            publishedAt: CalendarDate("2020-01-02")!,
            stock: 3,
            tagIDs: tags
        )
    }

    @Test func creationsTogetherEachGetTheirOwnAnswer() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        try await PostgresDatabase(location: location, poolSize: 4, logger: Self.logger).run { postgres in
            try await postgres.migrate()
            let store = postgres.store()
            let tag = try await store.tags.create(name: "kept")
            let existing = try await store.books.create(Self.draft("9780000000000"))
            // Forty at once: new ones (some with a tag), one naming a tag that does not exist, one whose ISBN an
            // existing book holds, and pairs sharing an ISBN among themselves.
            var drafts: [BookDraft] = (1...30).map { Self.draft(String(format: "97810000%05d", $0), tags: $0 % 3 == 0 ? [tag.id] : []) }
            drafts.append(Self.draft("9782000000001", tags: [tag.id, 999_999]))
            drafts.append(Self.draft("9780000000000"))
            for pair in 1...4 {
                drafts.append(Self.draft(String(format: "97830000%05d", pair)))
                drafts.append(Self.draft(String(format: "97830000%05d", pair)))
            }
            let outcomes = await withTaskGroup(of: (Int, Result<Book, any Error>).self) { group in
                for (index, draft) in drafts.enumerated() {
                    group.addTask {
                        do { return (index, .success(try await store.books.create(draft))) } catch { return (index, .failure(error)) }
                    }
                }
                var outcomes: [Int: Result<Book, any Error>] = [:]
                for await (index, outcome) in group { outcomes[index] = outcome }
                return outcomes
            }
            for index in 0..<30 {
                let book = try #require(try? outcomes[index]?.get())
                #expect(book.isbn == drafts[index].isbn)
                #expect(book.publisher == drafts[index].publisher)
                #expect(book.tags.map(\.id) == drafts[index].tagIDs)
                let stored = try #require(try await store.books.book(id: book.id))
                #expect(stored == book)
            }
            #expect(throws: CatalogError.unknownTags([999_999])) { try outcomes[30]?.get() }
            #expect(throws: CatalogError.isbnTaken("9780000000000", byBook: existing.id)) { try outcomes[31]?.get() }
            for pair in 0..<4 {
                let first = outcomes[32 + 2 * pair]
                let second = outcomes[33 + 2 * pair]
                // One of each pair is made; the other names it.
                let made = [first, second].compactMap { try? $0?.get() }
                #expect(made.count == 1)
                let isbn = drafts[32 + 2 * pair].isbn
                let refused = [first, second].first { (try? $0?.get()) == nil }
                #expect(throws: CatalogError.isbnTaken(isbn, byBook: made.first?.id ?? -1)) { try refused??.get() }
            }
            let page = try await store.books.page(try BookListQuery.parse([("page_size", "100")]))
            #expect(page.totalCount == 1 + 30 + 4)
            // A one- and a two-character filter count exactly from the kept counts and the log of texts not yet
            // folded into them; then enough books to fold the log (every 256 texts), and they still do.
            func count(_ title: String) async throws -> Int {
                try await store.books.page(try BookListQuery.parse([("title", title)])).totalCount
            }
            #expect(try await count("gr") == 35)
            #expect(try await count("9") == 35)
            for batch in 0..<3 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<50 {
                        group.addTask { _ = try await store.books.create(Self.draft(String(format: "9785%03d%06d", batch, index))) }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await count("gr") == 185)
            #expect(try await count("q") == 0)
            #expect(try await postgres.store().books.page(try BookListQuery.parse([("title", "zz")])).totalCount == 0)
            // They were grouped: fewer statements than creations.
            #expect(postgres.creations.statements < 39 + 150)
            // And the versions this process keeps cover them: what the cache learns before answering.
            let kept = try #require(postgres.committed.current)
            #expect(kept == (try await postgres.storeVersions()))
        }
    }

    /// Two replicas' grouped loans on the same two books in crossing orders: a group holding one book while its next
    /// loan wants the other would deadlock with the other replica's group. Every loan is answered, none with the
    /// server's deadlock error, and the stock adds up.
    @Test func replicasLendingTheSameBooksInCrossingOrdersAllSucceed() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        let setup = try await PostgresDatabase(location: location, poolSize: 2, logger: Self.logger).run { postgres in
            try await postgres.migrate()
            let store = postgres.store()
            var first = Self.draft("9786000000000")
            first.stock = 1_000
            var second = Self.draft("9786000000001")
            second.stock = 1_000
            let user = try await store.users.create(NewUser(email: "r@example.org", username: "replica", passwordHash: "x", role: .user))
            return (try await store.books.create(first).id, try await store.books.create(second).id, user.id)
        }
        let (first, second, user) = setup
        func replica(_ order: [Int64]) async throws -> Int {
            try await PostgresDatabase(location: location, poolSize: 4, logger: Self.logger).run { postgres in
                let loans = postgres.store().loans
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<40 {
                        group.addTask { _ = try await loans.create(userID: user, bookID: order[index % 2], quantity: 1, now: Date()) }
                    }
                    try await group.waitForAll()
                    return 40
                }
            }
        }
        async let one = replica([first, second])
        async let other = replica([second, first])
        #expect(try await one + other == 80)
        let stocks = try await PostgresDatabase(location: location, poolSize: 2, logger: Self.logger).run { postgres in
            let books = postgres.store().books
            return (try await books.book(id: first)?.stock, try await books.book(id: second)?.stock)
        }
        #expect(stocks.0 == 960)
        #expect(stocks.1 == 960)
    }

    @Test func groupedWritesRollBackAloneAndCommitTogether() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        try await PostgresDatabase(location: location, poolSize: 4, logger: Self.logger).run { postgres in
            try await postgres.migrate()
            let store = postgres.store()
            let book = try await store.books.create(Self.draft("9784000000000"))
            let user = try await store.users.create(NewUser(email: "g@example.org", username: "grouped", passwordHash: "x", role: .user))
            // Twelve loans of one copy each against a stock of three, at once: three succeed, nine are refused
            // alone, and the stock ends at zero.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<12 {
                    group.addTask { (try? await store.loans.create(userID: user.id, bookID: book.id, quantity: 1, now: Date())) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 3)
            #expect(try await store.books.book(id: book.id)?.stock == 0)
            #expect(try await store.loans.loans(bookID: book.id).count == 3)
            #expect(postgres.commits.counts.transactions < 1 + 1 + 12)
        }
    }
}
