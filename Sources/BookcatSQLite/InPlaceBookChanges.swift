import BookcatCore
import GRDB

/// The log of in-place changes (``BookcatCore/StoreVersions/bookChanges``): updates of a book that leave alone every
/// column a filter or an order reads, so they change only the cached bodies that show that book.
///
/// A stock change (every loan and return) used to move the one catalog version the cache invalidates for, which made
/// every cached page unreachable: under the benchmark's mixed load, half the reads missed. Now `catalog_version`
/// keeps three counters, all bumped by triggers in the writing transaction (so no write path can forget):
/// - `version`, by every write to `book`, `tag` or `book_tag`, as before: what a process of an earlier release
///   reads, so one still running beside this one during a deploy (or after a rollback) invalidates as it did;
/// - `listing_version`, by every such write except an in-place change: what this release's cache invalidates
///   everything for (``BookcatCore/StoreVersions/catalog``);
/// - `book_changes`, by each in-place change, which also appends the book to `book_change`.
///
/// The log keeps the newest ``kept`` entries: a reader further behind than that gets nil from
/// ``changedBooks(_:after:through:)`` and treats the gap as a change to everything.
enum InPlaceBookChanges {
    static let kept = 4_096

    /// What a filter, an order or a page's membership read when migration 0009 installed the triggers. Written out,
    /// not read from ``ListingColumns``: a migration's SQL must not change once released. A listing column added
    /// later is a migration that runs ``updateTriggers(watching:)`` with the longer list (`ListingColumnTriggerTests`
    /// fails until one does).
    static let watchedBy0009 = ["id", "title", "author", "published_at", "created_at"]

    /// A change to any of `columns` is not in place. Compared byte for byte (the title's own collation folds case,
    /// and a body shows the case).
    private static func structuralChange(_ columns: [String]) -> String {
        columns.map { "old.\($0) COLLATE BINARY IS NOT new.\($0) COLLATE BINARY" }.joined(separator: " OR ")
    }

    /// The triggers migration 0004 created, one per table and event (`catalog_version_after_<event>_<table>`).
    private static let versionTriggers = ["book", "tag", "book_tag"].flatMap { table in
        ["insert", "update", "delete"].map { (table: table, event: $0) }
    }

    static var creationSQL: String {
        var sql = """
            ALTER TABLE catalog_version ADD COLUMN listing_version INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE catalog_version ADD COLUMN book_changes INTEGER NOT NULL DEFAULT 0;
            UPDATE catalog_version SET listing_version = version;
            CREATE TABLE book_change (seq INTEGER PRIMARY KEY, book_id INTEGER NOT NULL);

            """
        for trigger in versionTriggers {
            sql += versionTrigger(trigger, watching: watchedBy0009)
        }
        sql += bookChangeTrigger(watching: watchedBy0009)
        return sql
    }

    /// The two triggers that tell an in-place book update from a structural one, re-created to watch `columns`: what
    /// a migration runs when a listing comes to read another column.
    static func updateTriggers(watching columns: [String]) -> String {
        "DROP TRIGGER book_change_after_update_book;\n" + versionTrigger((table: "book", event: "update"), watching: columns)
            + bookChangeTrigger(watching: columns)
    }

    private static func versionTrigger(_ trigger: (table: String, event: String), watching columns: [String]) -> String {
        let listing = trigger == (table: "book", event: "update") ? "(\(structuralChange(columns)))" : "1"
        return """
            DROP TRIGGER catalog_version_after_\(trigger.event)_\(trigger.table);
            CREATE TRIGGER catalog_version_after_\(trigger.event)_\(trigger.table) AFTER \(trigger.event.uppercased()) ON \(trigger.table) BEGIN
              UPDATE catalog_version SET version = version + 1, listing_version = listing_version + \(listing) WHERE id = 1;
            END;

            """
    }

    private static func bookChangeTrigger(watching columns: [String]) -> String {
        """
        CREATE TRIGGER book_change_after_update_book AFTER UPDATE ON book WHEN NOT (\(structuralChange(columns))) BEGIN
          UPDATE catalog_version SET book_changes = book_changes + 1 WHERE id = 1;
          INSERT INTO book_change (seq, book_id) SELECT book_changes, new.id FROM catalog_version WHERE id = 1;
          DELETE FROM book_change WHERE seq <= (SELECT book_changes FROM catalog_version WHERE id = 1) - \(kept);
        END;
        """
    }

    /// The distinct books of the entries after `after` up to `through`, or nil when some of them are gone.
    static func changedBooks(_ db: Database, after: Int64, through: Int64) throws -> [Int64]? {
        guard through > after else { return [] }
        guard through - after <= Int64(kept) else { return nil }
        let logged = try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT book_id FROM book_change WHERE seq > ? AND seq <= ? ORDER BY seq"),
            arguments: [after, through]
        )
        return BookChangeLog.books(logged: logged, after: after, through: through)
    }
}
