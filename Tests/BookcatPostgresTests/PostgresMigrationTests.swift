import BookcatCore
import BookcatTestSupport
import Logging
import PostgresNIO
import Testing

@testable import BookcatPostgres

/// The narrow search table and the kept substring counts must cover the books written before their migration, not
/// only what later writes add.
@Suite("PostgreSQL migrations over existing rows")
struct PostgresMigrationTests {
    @Test func theNarrowSearchTableAndSubstringCountsCoverBooksWrittenBeforeThem() async throws {
        let location = try await PostgresCluster.shared.freshDatabase()
        let logger = Logger(label: "bookcat-postgres-tests")
        try await PostgresDatabase(location: location, poolSize: 2, logger: logger).run { postgres in
            try await PostgresMigrations.migrate(postgres.client, through: "0002_session_epoch_on_revocation", logger: logger)
            let titles = ["Dune", "Dune Messiah", "Children of Dune", "Les Misérables", "ÉTÉ"]
            for (index, title) in titles.enumerated() {
                try await postgres.client.query(
                    """
                    INSERT INTO book (title, author, isbn, published_at, stock, created_at, updated_at)
                    VALUES (\(title), \(index < 3 ? "Frank Herbert" : "Victor Hugo"), \("97800000000\(index)"), '1965-08-01', 1, now(), now())
                    """,
                    logger: logger
                )
            }
            try await postgres.migrate()
            let books = postgres.store().books
            func count(_ parameters: [(String, String)]) async throws -> Int { try await books.page(BookListQuery.parse(parameters)).totalCount }
            #expect(try await count([("title", "une")]) == 3)
            #expect(try await count([("title", "DU")]) == 3)
            #expect(try await count([("title", "été")]) == 1)
            #expect(try await count([("title", "É")]) == 2)
            #expect(try await count([("author", "hu")]) == 2)
            #expect(try await count([("title", "dune"), ("order_by", "title")]) == 3)
            // And both follow what is written after.
            _ = try await books.create(
                BookDraft(
                    title: "Dune Encyclopedia",
                    author: "Willis McNelly",
                    isbn: "9780000000999",
                    publisher: nil,
                    publishedAt: CalendarDate("1984-06-01")!,
                    stock: 1,
                    tagIDs: []
                )
            )
            #expect(try await count([("title", "du")]) == 4)
            #expect(try await count([("title", "une")]) == 4)
        }
    }

    /// A process of the release before in-place changes reads `catalog_version.version`: during a deploy or after a
    /// rollback it must still see every write move it, while this release's listing version skips in-place ones.
    @Test func theEarlierReleasesVersionStillMovesWithEveryWrite() async throws {
        let logger = Logger(label: "bookcat-postgres-tests")
        let location = try await PostgresCluster.shared.freshDatabase()
        try await PostgresDatabase(location: location, poolSize: 2, logger: logger).run { postgres in
            try await postgres.migrate()
            let store = postgres.store()
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
            func counters() async throws -> (Int64, Int64) {
                let row = try await postgres.client.query("SELECT version, listing_version FROM catalog_version WHERE id = 1", logger: logger)
                    .decode((Int64, Int64).self).firstElement()
                return try #require(row)
            }
            let start = try await counters()
            _ = try await store.books.update(id: book.id) { BookDraft($0).with { $0.stock = 7 } }
            let afterStock = try await counters()
            #expect(afterStock.0 == start.0 + 1 && afterStock.1 == start.1)
            _ = try await store.books.update(id: book.id) { BookDraft($0).with { $0.title = "Dune Messiah" } }
            let afterTitle = try await counters()
            #expect(afterTitle.0 == afterStock.0 + 1 && afterTitle.1 == afterStock.1 + 1)
            #expect(try await store.versions.storeVersions().catalog == afterTitle.1)
        }
    }
}
