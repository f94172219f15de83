import BookcatCore
import Foundation
import GRDB
import Testing

@testable import BookcatSQLite

/// Migrations run on databases that already hold a catalog: what a later migration builds from existing rows must
/// be complete, not only what later writes add.
@Suite("Migrations over existing rows")
struct MigrationTests {
    @Test func theSearchIndexAndTheCountCoverBooksWrittenBeforeThem() async throws {
        let queue = try DatabaseQueue()
        // A database as the first release left it: only the first migration, with books in it.
        try AppDatabase.migrator.migrate(queue, upTo: "0001_create_catalog")
        let titles = ["Dune", "Dune Messiah", "Children of Dune", "Hyperion", "The Left Hand of Darkness"]
        try await queue.write { db in
            for (index, title) in titles.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO book (title, author, isbn, published_at, stock, created_at, updated_at)
                        VALUES (?, ?, ?, '1965-08-01', 1, ?, ?)
                        """,
                    arguments: [title, index < 3 ? "Frank Herbert" : "Other Author", "97800000000\(index)", Date(), Date()]
                )
            }
        }

        let database = try AppDatabase(queue)  // runs every later migration
        #expect(try await database.appliedMigrations().last == AppDatabase.migrator.migrations.last)
        let store = database.store()

        // The unfiltered count comes from catalog_stats, which the migration filled from the rows already there.
        let all = try await store.books.page(try BookListQuery.parse([]))
        #expect(all.totalCount == titles.count)
        // Substring search goes through the trigram index, which the migration rebuilt over those rows.
        let dune = try await store.books.page(try BookListQuery.parse([("title", "une"), ("order_by", "title")]))
        #expect(dune.totalCount == 3)
        #expect(dune.books.map(\.title) == ["Children of Dune", "Dune", "Dune Messiah"])
        let herbert = try await store.books.page(try BookListQuery.parse([("author", "herb")]))
        #expect(herbert.totalCount == 3)
        // One- and two-character filters count from book_substring_count, which the migration filled from them too.
        #expect(try await store.books.page(try BookListQuery.parse([("title", "DU")])).totalCount == 3)
        #expect(try await store.books.page(try BookListQuery.parse([("author", "rt")])).totalCount == 3)

        // And both stay current for what is written after.
        _ = try await store.books.create(
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
        #expect(try await store.books.page(try BookListQuery.parse([])).totalCount == titles.count + 1)
        #expect(try await store.books.page(try BookListQuery.parse([("title", "une")])).totalCount == 4)
        #expect(try await store.books.page(try BookListQuery.parse([("title", "du")])).totalCount == 4)
    }
}
