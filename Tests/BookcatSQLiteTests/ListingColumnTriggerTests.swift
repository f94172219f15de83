import BookcatCore
import GRDB
import Testing

@testable import BookcatSQLite

/// The columns a listing reads are defined once (``ListingColumns``: the filters' and the orderings' own columns);
/// the triggers that tell an in-place change from a structural one are SQL a migration installed. A filter on a new
/// column fails here until a migration teaches the installed triggers that column: otherwise an update of it would
/// count as in place, and cached pages filtered by it would go stale.
@Suite("The SQLite store's triggers watch every column a listing reads")
struct ListingColumnTriggerTests {
    @Test(arguments: ["catalog_version_after_update_book", "book_change_after_update_book"])
    func theInstalledTriggerComparesEveryListingColumn(trigger: String) async throws {
        let database = try AppDatabase.inMemory()
        let sql = try await database.writer.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", arguments: [trigger])
        }
        let installed = try #require(sql, "no trigger \(trigger)")
        for column in ListingColumns.all {
            #expect(installed.contains("old.\(column) COLLATE BINARY IS NOT new.\(column) COLLATE BINARY"), "\(trigger) ignores \(column)")
        }
    }

    @Test func theListingColumnsAreTheFiltersAndOrderingsColumns() {
        #expect(ListingColumns.all == ["id", "title", "author", "published_at", "created_at"])
    }
}
