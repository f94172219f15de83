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
            // The seeder counted its books' short substrings in Swift, the triggers counted the book added after:
            // together they must equal what LIKE finds, for every one- and two-character substring there is.
            let (kept, found) = try await #require(app.database).writer.read { db in
                let kept = try Row.fetchAll(db, sql: "SELECT field, substring, books FROM book_substring_count WHERE books > 0")
                var found: [String: Int] = [:]
                for row in kept {
                    let field: String = row["field"]
                    let substring: String = row["substring"]
                    found["\(field) \(substring)"] = try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM book WHERE \(field == "title" ? "title" : "author") LIKE ? ESCAPE '\\'",
                        arguments: [LikePattern.containing(substring)]
                    )
                }
                return (
                    Dictionary(uniqueKeysWithValues: kept.map { ("\($0["field"] as String) \($0["substring"] as String)", $0["books"] as Int) }),
                    found
                )
            }
            #expect(kept.count > 100)
            #expect(kept == found)
            #expect(try await app.send(.get, "/api/v1/books?title=ZI", token: token).object().int("count") == 1)

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
