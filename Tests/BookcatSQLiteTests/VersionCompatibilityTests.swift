import BookcatCore
import BookcatTestSupport
import GRDB
import Testing

@testable import BookcatSQLite

/// A process of the release before in-place changes reads `catalog_version.version` and invalidates everything when
/// it moves: during a deploy (beside this release) or after a rollback it must still see every write.
@Suite("The earlier release's catalog version")
struct VersionCompatibilityTests {
    @Test func itStillMovesWithEveryWriteWhileTheListingVersionSkipsInPlaceOnes() async throws {
        let database = try AppDatabase.inMemory()
        let store = database.store()
        let book = try await store.books.create(
            BookDraft(
                title: "Dune",
                author: "A",
                isbn: "9780000000017",
                publisher: nil,
                publishedAt: CalendarDate("1965-01-01")!,
                stock: 1,
                tagIDs: []
            )
        )
        func counters() async throws -> (version: Int64, listing: Int64) {
            try await database.writer.read { db in
                let row = try #require(try Row.fetchOne(db, sql: "SELECT version, listing_version FROM catalog_version WHERE id = 1"))
                return (row[0], row[1])
            }
        }
        let start = try await counters()
        _ = try await store.books.update(id: book.id) { BookDraft($0).with { $0.stock = 7 } }
        let afterStock = try await counters()
        #expect(afterStock.version == start.version + 1 && afterStock.listing == start.listing)
        _ = try await store.books.update(id: book.id) { BookDraft($0).with { $0.title = "Dune Messiah" } }
        let afterTitle = try await counters()
        #expect(afterTitle.version == afterStock.version + 1 && afterTitle.listing == afterStock.listing + 1)
        #expect(try await store.versions.storeVersions().catalog == afterTitle.listing)
    }
}
