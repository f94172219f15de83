import BookcatCore
import BookcatTestSupport
import Foundation
import GRDB
import HTTPTypes
import Testing

@testable import BookcatApp
@testable import BookcatHTTP
@testable import BookcatSQLite

@Suite("Synthetic catalog seeding")
struct SeederTests {
    @Test func seedingIsDeterministicAndLeavesSearchAndCountsWorking() async throws {
        try await TestApp.run(store: .sqlite) { app in
            let summary = try await CatalogSeeder(database: try #require(app.database)).seed(books: 250, tags: 7, seed: 42, batchSize: 100)
            #expect(summary.books == 250)
            #expect(summary.tags == 7)
            let token = try await app.admin().accessToken
            let all = try await app.send(.get, "/api/v1/books?page_size=100", token: token).object()
            #expect(try all.int("count") == 250)
            // Titles end in their index, so the search index must find exactly one book for "of the X 123".
            let searched = try await app.send(.get, "/api/v1/books?title=%20123", token: token).object()
            #expect(try searched.int("count") == 1)
            // The triggers are back: a book added afterwards is counted and searchable.
            _ = try await app.createBook(token: token, ["title": "Zanzibar Nights"])
            #expect(try await app.send(.get, "/api/v1/books", token: token).object().int("count") == 251)
            #expect(try await app.send(.get, "/api/v1/books?title=zanzib", token: token).object().int("count") == 1)

            let titles = try await #require(app.database).writer.read { db in
                try String.fetchAll(db, sql: "SELECT title FROM book ORDER BY id LIMIT 20")
            }
            let again = try await TestApp.run(store: .sqlite) { other in
                _ = try await CatalogSeeder(database: try #require(other.database)).seed(books: 20, tags: 7, seed: 42)
                return try await #require(other.database).writer.read { db in try String.fetchAll(db, sql: "SELECT title FROM book ORDER BY id") }
            }
            #expect(titles == again)
        }
    }
}
