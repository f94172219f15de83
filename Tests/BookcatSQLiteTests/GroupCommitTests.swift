import BookcatCore
import Dispatch
import Foundation
import GRDB
import Testing

@testable import BookcatSQLite

/// Writes that arrive together share one synced commit, and each keeps the meaning of its own transaction.
@Suite("Group commit")
struct GroupCommitTests {
    /// Runs `writes` while the writer is held, so all of them wait together, then lets the writer go.
    private static func heldTogether<Value: Sendable>(
        _ database: AppDatabase,
        _ writes: [@Sendable () async throws -> Value]
    ) async throws -> [Result<Value, any Error>] {
        let held = DispatchSemaphore(value: 0)
        database.writer.asyncWriteWithoutTransaction { _ in held.wait() }
        return try await withThrowingTaskGroup(of: (Int, Result<Value, any Error>).self) { group in
            for (index, write) in writes.enumerated() {
                group.addTask {
                    do { return (index, .success(try await write())) } catch { return (index, .failure(error)) }
                }
            }
            while database.commits.counts.waiting < writes.count { await Task.yield() }
            held.signal()
            var results = [Result<Value, any Error>?](repeating: nil, count: writes.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    private static func draft(_ index: Int, isbn: String? = nil) -> BookDraft {
        BookDraft(
            title: "Grouped \(index)",
            author: "Writer",
            isbn: isbn ?? String(format: "978%010d", index),
            publisher: nil,
            publishedAt: CalendarDate("2020-01-01")!,
            stock: 1,
            tagIDs: []
        )
    }

    @Test func writesWaitingTogetherCommitOnceAndAFailedOneIsRolledBackAlone() async throws {
        do {
            let database = try AppDatabase.inMemory()
            let books = database.store().books
            let before = database.commits.counts.transactions
            // Twenty creates; the 1st, 6th and 11th share an ISBN, so two of them fail inside the shared transaction
            // (which two depends on the order the writes arrived in).
            let sharedISBN: Set<Int> = [0, 5, 10]
            let results = try await Self.heldTogether(
                database,
                (0..<20).map { index in
                    { @Sendable in try await books.create(Self.draft(index, isbn: sharedISBN.contains(index) ? "9780000000000" : nil)) }
                }
            )
            #expect(database.commits.counts.transactions == before + 1)
            var stored = Set<String>()
            for (index, result) in results.enumerated() {
                switch result {
                case .success(let book):
                    #expect(book.title == "Grouped \(index)")
                    stored.insert(book.title)
                case .failure(let error):
                    #expect(sharedISBN.contains(index), "\(error)")
                    #expect((error as? CatalogError).map { if case .conflict = $0 { true } else { false } } == true)
                }
            }
            #expect(stored.count == 18)
            let titles = try await database.writer.read { db in try String.fetchAll(db, sql: "SELECT title FROM book") }
            #expect(Set(titles) == stored)
            #expect(titles.count == 18)
        }
    }

    @Test func whenTheSharedCommitFailsEveryWriteInItFailsAndNoneIsStored() async throws {
        do {
            let database = try AppDatabase.inMemory()
            // A constraint checked only at commit: one bad write makes the whole transaction's commit fail.
            try await database.writer.write { db in
                try db.execute(sql: "CREATE TABLE deferred_check (book_id INTEGER REFERENCES book(id) DEFERRABLE INITIALLY DEFERRED)")
            }
            let books = database.store().books
            let commits = database.commits
            var writes: [@Sendable () async throws -> Bool] = (0..<5).map { index in
                { @Sendable in
                    _ = try await books.create(Self.draft(index))
                    return true
                }
            }
            writes.append({ @Sendable in
                try await commits.write { db in try db.execute(sql: "INSERT INTO deferred_check VALUES (999999)") }
                return true
            })
            let results = try await Self.heldTogether(database, writes)
            #expect(results.allSatisfy { if case .failure = $0 { true } else { false } })
            let count = try await database.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM book") }
            #expect(count == 0)
            // And the writer goes on: the next write commits on its own.
            _ = try await books.create(Self.draft(42))
        }
    }
}
