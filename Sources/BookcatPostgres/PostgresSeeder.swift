import BookcatCore
import Foundation
import PostgresNIO

extension PostgresDatabase {
    /// Adds the synthetic catalog of `SyntheticBook` to the database: the same books, for the same seed on the
    /// same starting catalog, as the SQLite seeder writes.
    ///
    /// Batches of rows go in as arrays (`unnest`), one statement per batch for the books and one for their tags,
    /// each batch its own transaction: a large seed neither holds one huge transaction nor pays a round trip per
    /// row. Readers see the catalog grow batch by batch, every count exact at each step: the batch writes its own
    /// narrow search rows and substring counts (counted here, not by the triggers, which it turns off for itself
    /// with `bookcat.seeding`). The new rows are vacuumed and analyzed at the end, so the planner knows them and
    /// the unfiltered listing's deep pages are index-only scans.
    public func seed(
        books: Int,
        tags tagCount: Int,
        seed: UInt64,
        batchSize: Int = 20_000,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> SeedSummary {
        let started = Date()
        let sql = SQLRunner(client: client, logger: logger)
        let names = (1...max(1, tagCount)).map(SyntheticBook.tagName)
        let tagIDs = try await sql.writeAlone { db in
            try await db.execute("INSERT INTO tag (name) SELECT unnest(\(names)::text[]) ON CONFLICT DO NOTHING")
            return try await db.rows("SELECT id FROM tag WHERE name = ANY(\(names)) ORDER BY id").decode(Int64.self).collect()
        }
        let existing = try await sql.read { db in
            try await db.rows("SELECT book_count FROM catalog_stats WHERE id = 1").decode(Int64.self).firstElement() ?? 0
        }
        // The next batch is made (books, their substrings counted) while the database writes this one: a fifth of the
        // seed's time was the client's, spent while the server waited.
        let make = { @Sendable (start: Int, random: SplitMix64) -> (SeedBatch, SplitMix64) in
            var random = random
            let books = (start..<min(books, start + batchSize)).map { index in
                SyntheticBook(index: Int(existing) + index, tagIDs: tagIDs, random: &random)
            }
            return (SeedBatch(books), random)
        }
        var next = books > 0 ? make(0, SplitMix64(seed: seed)) : nil
        var written = 0
        while let (batch, random) = next {
            let start = written + batch.books.count
            async let following = start < books ? make(start, random) : nil
            try await sql.writeAlone { db in try await Self.insert(batch, db) }
            written = start
            progress(written)
            next = await following
        }
        // Outside any transaction, as VACUUM must be.
        try await client.query("VACUUM (ANALYZE) book, book_search, book_tag", logger: logger)
        return SeedSummary(books: books, tags: tagIDs.count, seconds: Date().timeIntervalSince(started))
    }

    /// A batch's books and the one- and two-character substrings they add, counted before the batch is written.
    struct SeedBatch: Sendable {
        var books: [SyntheticBook]
        /// Nil when some text is not ASCII: the database's own function counts those (see ``addSubstringCounts``).
        var substrings: [(field: ShortSubstringTally.Field, substring: String, books: Int)]?

        init(_ books: [SyntheticBook]) {
            self.books = books
            guard books.allSatisfy({ $0.title.utf8.allSatisfy { $0 < 0x80 } && $0.author.utf8.allSatisfy { $0 < 0x80 } }) else {
                substrings = nil
                return
            }
            var tally = ShortSubstringTally()
            for book in books {
                tally.add(book.title, as: .title)
                tally.add(book.author, as: .author)
            }
            substrings = tally.entries
        }
    }

    private static func insert(_ prepared: SeedBatch, _ db: Transaction) async throws {
        let batch = prepared.books
        try await db.execute("SET LOCAL bookcat.seeding = 'on'")
        let rows = try await db.rows(
            """
            INSERT INTO book (title, author, isbn, publisher, published_at, stock, created_at, updated_at)
            SELECT title, author, isbn, NULLIF(publisher, ''), published_at::date, stock, created_at, created_at
            FROM unnest(\(batch.map(\.title))::text[], \(batch.map(\.author))::text[], \(batch.map(\.isbn))::text[],
                        \(batch.map { $0.publisher ?? "" })::text[] /* "" for none: arrays carry no NULLs here */, \(batch.map(\.publishedAt))::text[],
                        \(batch.map(\.stock))::int[], \(batch.map(\.createdAt))::timestamptz[])
              AS b(title, author, isbn, publisher, published_at, stock, created_at)
            RETURNING id, isbn
            """
        ).decode((Int64, String).self).collect()
        // Rows come back in no promised order: the ISBN (unique) says which book each id is.
        let tagsByISBN = Dictionary(uniqueKeysWithValues: batch.map { ($0.isbn, $0.tagIDs) })
        var bookIDs: [Int64] = []
        var tagIDs: [Int64] = []
        for (id, isbn) in rows {
            for tagID in tagsByISBN[isbn] ?? [] {
                bookIDs.append(id)
                tagIDs.append(tagID)
            }
        }
        try await db.execute("INSERT INTO book_tag (book_id, tag_id) SELECT * FROM unnest(\(bookIDs)::bigint[], \(tagIDs)::bigint[])")
        let ids = rows.map(\.0)
        try await db.execute(
            """
            INSERT INTO book_search (id, title, author)
            SELECT id, lower(title COLLATE "und-x-icu"), lower(author COLLATE "und-x-icu") FROM book WHERE id = ANY(\(ids))
            """
        )
        try await addSubstringCounts(prepared.substrings, ids: ids, db)
    }

    /// The batch's one- and two-character substrings, counted in Swift: synthetic text is ASCII, which ICU folds as the
    /// tally does. Other text (never written by this seeder) is counted by the database's own function.
    private static func addSubstringCounts(
        _ entries: [(field: ShortSubstringTally.Field, substring: String, books: Int)]?,
        ids: [Int64],
        _ db: Transaction
    ) async throws {
        guard let entries else {
            try await db.execute(
                """
                SELECT book_substring_change(NULL, NULL, array_agg(title), array_agg(author)) FROM book_search WHERE id = ANY(\(ids))
                """
            )
            return
        }
        // In key order, as every writer takes these rows, so none waits on another in a cycle.
        try await db.execute(
            """
            INSERT INTO book_substring_count (field, substring, books)
            SELECT * FROM unnest(\(entries.map(\.field.rawValue))::text[], \(entries.map(\.substring))::text[], \(entries.map { Int64($0.books) })::bigint[])
              AS counted(field, substring, books)
            ORDER BY field COLLATE "C", substring COLLATE "C"
            ON CONFLICT (field, substring) DO UPDATE SET books = book_substring_count.books + excluded.books
            """
        )
    }
}
