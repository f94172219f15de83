import BookcatTestSupport
import Foundation
import GRDB
import Testing

@testable import BookcatSQLite

/// What the store promises about an answered write, checked on the connection that commits it.
@Suite("Store durability")
struct StoreDurabilityTests {
    @Test func theWriterSyncsEveryCommitInWriteAheadLogMode() async throws {
        let folder = TemporaryFolder("durability")
        defer { folder.remove() }
        do {
            let database = try AppDatabase(path: folder.databasePath)
            let (journal, synchronous) = try await database.writer.writeWithoutTransaction { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
            }
            #expect(journal == "wal")
            // 2 is FULL: the log is synced before a commit returns (GRDB's default for WAL, NORMAL, is 1).
            #expect(synchronous == 2)
        }
    }
}
