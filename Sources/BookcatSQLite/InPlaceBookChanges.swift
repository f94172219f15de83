import GRDB

/// The log of in-place changes (``BookcatCore/StoreVersions/bookChanges``): updates of a book that leave alone every
/// column a filter or an order reads, so they change only the cached bodies that show that book.
///
/// A stock change (every loan and return) used to bump the catalog version, which made every cached page
/// unreachable: under the benchmark's mixed load, half the reads missed. Now such an update bumps
/// `catalog_version.book_changes` instead and appends the book to `book_change`, in the same transaction (triggers,
/// so no write path can forget). Every other write to `book`, `tag` or `book_tag` still bumps the catalog version.
///
/// The log keeps the newest ``kept`` entries: a reader further behind than that gets nil from
/// ``changedBooks(_:after:through:)`` and treats the gap as a change to everything.
enum InPlaceBookChanges {
    static let kept = 4_096

    /// What a filter, an order or a page's membership reads: a change to any of these is not in place. Compared
    /// byte for byte (the title's own collation folds case, and a body shows the case).
    private static let structuralChange = ["id", "title", "author", "published_at", "created_at"]
        .map { "old.\($0) COLLATE BINARY IS NOT new.\($0) COLLATE BINARY" }
        .joined(separator: " OR ")

    static let creationSQL = """
        ALTER TABLE catalog_version ADD COLUMN book_changes INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE book_change (seq INTEGER PRIMARY KEY, book_id INTEGER NOT NULL);
        DROP TRIGGER catalog_version_after_update_book;
        CREATE TRIGGER catalog_version_after_update_book AFTER UPDATE ON book WHEN \(structuralChange) BEGIN
          UPDATE catalog_version SET version = version + 1 WHERE id = 1;
        END;
        CREATE TRIGGER book_change_after_update_book AFTER UPDATE ON book WHEN NOT (\(structuralChange)) BEGIN
          UPDATE catalog_version SET book_changes = book_changes + 1 WHERE id = 1;
          INSERT INTO book_change (seq, book_id) SELECT book_changes, new.id FROM catalog_version WHERE id = 1;
          DELETE FROM book_change WHERE seq <= (SELECT book_changes FROM catalog_version WHERE id = 1) - \(kept);
        END;
        """

    /// The distinct books of the entries after `after` up to `through`, or nil when some of them are gone.
    static func changedBooks(_ db: Database, after: Int64, through: Int64) throws -> [Int64]? {
        guard through > after else { return [] }
        guard through - after <= Int64(kept) else { return nil }
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT seq, book_id FROM book_change WHERE seq > ? AND seq <= ? ORDER BY seq"),
            arguments: [after, through]
        )
        guard rows.count == through - after else { return nil }
        var seen = Set<Int64>()
        return rows.compactMap { row in
            let book: Int64 = row[1]
            return seen.insert(book).inserted ? book : nil
        }
    }
}
