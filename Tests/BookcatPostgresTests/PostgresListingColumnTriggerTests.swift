import BookcatCore
import BookcatTestSupport
import Logging
import PostgresNIO
import Testing

@testable import BookcatPostgres

/// As on SQLite (`ListingColumnTriggerTests`): the installed function that tells an in-place book change from a
/// structural one compares every column ``ListingColumns`` names, so a filter on a new column fails here until a
/// migration teaches it that column.
@Suite("The PostgreSQL store's trigger watches every column a listing reads")
struct PostgresListingColumnTriggerTests {
    @Test func theInstalledFunctionComparesEveryListingColumn() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        let logger = Logger(label: "bookcat-postgres-tests")
        let source = try await PostgresDatabase(location: location, poolSize: 2, logger: logger).run { postgres in
            try await postgres.migrate()
            return try await postgres.client.query("SELECT prosrc FROM pg_proc WHERE proname = 'book_change_after_update'", logger: logger)
                .decode(String.self).firstElement()
        }
        let installed = try #require(source, "no function book_change_after_update")
        for column in ListingColumns.all where column != "id" {
            #expect(installed.contains("n.\(column) IS DISTINCT FROM o.\(column)"), "book_change_after_update ignores \(column)")
        }
        // A deleted row (no new row for the old id) is structural too: the id is what it joins on.
        #expect(installed.contains("n.id IS NULL"))
    }
}
