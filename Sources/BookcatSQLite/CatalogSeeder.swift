import BookcatCore
import Foundation
import GRDB

/// Writes a deterministic synthetic catalog straight to the database, for load tests and demos.
///
/// The same seed on the same starting database always gives the same books. All rows go in one transaction through
/// prepared statements, with the search-index and count triggers and the ordering indexes lifted meanwhile: the
/// indexes are rebuilt, the count recomputed and the short-substring counts added once at the end, which is several
/// times faster than maintaining them row by row (a million books: 54 s with the ordering indexes kept, 31 s
/// without). Writers wait for it (readers do not), so seed before a load test, not during one.
public struct CatalogSeeder: Sendable {
    private let writer: any DatabaseWriter

    public init(database: AppDatabase) {
        self.writer = database.writer
    }

    public func seed(
        books: Int,
        tags tagCount: Int,
        seed: UInt64,
        batchSize: Int = 10_000,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> SeedSummary {
        let started = Date()
        let tagIDs = try await ensureTags(count: tagCount)
        let existing = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM book") ?? 0 }
        let random = SplitMix64(seed: seed)
        try await writer.write { db in
            // A larger page cache for this connection while it builds a million-row index.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
            let triggers = try Row.fetchAll(
                db,
                sql:
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'book_search_%' OR name LIKE 'catalog_stats_%' OR name LIKE 'book_substring_%')"
            )
            for trigger in triggers {
                try db.execute(sql: "DROP TRIGGER \(trigger["name"] as String)")
            }
            // The ordering and tag indexes too, built again at the end: sorting a million keys once is faster than
            // inserting them one by one at random places in a tree.
            let indexes = try Row.fetchAll(
                db,
                sql: """
                    SELECT name, sql FROM sqlite_master
                    WHERE type = 'index' AND name IN ('book_on_title', 'book_on_published_at', 'book_tag_on_tag')
                    """
            )
            for index in indexes {
                try db.execute(sql: "DROP INDEX \(index["name"] as String)")
            }
            let insertBook = try db.makeStatement(
                sql: """
                    INSERT INTO book (title, author, isbn, publisher, published_at, stock, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            let insertTag = try db.makeStatement(sql: "INSERT INTO book_tag (book_id, tag_id) VALUES (?, ?)")
            var random = random
            var substrings = ShortSubstringTally()
            for index in 0..<books {
                let row = SyntheticBook(index: existing + index, tagIDs: tagIDs, random: &random)
                try insertBook.execute(arguments: [
                    row.title, row.author, row.isbn, row.publisher, row.publishedAt, row.stock, row.createdAt, row.createdAt,
                ])
                let bookID = db.lastInsertedRowID
                substrings.add(row.title, as: .title)
                substrings.add(row.author, as: .author)
                for tagID in row.tagIDs {
                    try insertTag.execute(arguments: [bookID, tagID])
                }
                if (index + 1) % batchSize == 0 || index + 1 == books { progress(index + 1) }
            }
            try db.execute(sql: "INSERT INTO book_search(book_search) VALUES ('rebuild')")
            try db.execute(sql: "UPDATE catalog_stats SET book_count = (SELECT COUNT(*) FROM book) WHERE id = 1")
            try ShortSubstringCounts.add(substrings, to: db)
            for index in indexes {
                try db.execute(sql: index["sql"] as String)
            }
            for trigger in triggers {
                try db.execute(sql: trigger["sql"] as String)
            }
        }
        let written = books
        return SeedSummary(books: written, tags: tagIDs.count, seconds: Date().timeIntervalSince(started))
    }

    /// Tags named `genre-N`, created if missing; returns the ids of the first `count`.
    private func ensureTags(count: Int) async throws -> [Int64] {
        try await writer.write { db in
            for index in 1...max(1, count) {
                try db.execute(sql: "INSERT OR IGNORE INTO tag (name) VALUES (?)", arguments: [SyntheticBook.tagName(index)])
            }
            let names = (1...max(1, count)).map(SyntheticBook.tagName)
            return try Int64.fetchAll(
                db,
                sql: "SELECT id FROM tag WHERE name IN (\(databaseQuestionMarks(count: names.count))) ORDER BY id",
                arguments: StatementArguments(names)
            )
        }
    }
}
