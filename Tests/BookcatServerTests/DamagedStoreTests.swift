import BookcatCore
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BookcatSQLite

/// The review: a publication date the store could not read was answered as 0001-01-01, a date the client would take
/// for real. Such a value is a fault of the server's data, said as one: a logged 500, never a made-up value.
@Suite("A damaged stored value is a fault, not a made-up value")
struct DamagedStoreTests {
    @Test func aBookWhosePublicationDateCannotBeReadIsNotAnsweredWithAnotherDate() async throws {
        try await TestApp.run(store: .sqlite) { app in
            let admin = try await app.admin()
            let id = try await app.createBook(token: admin.accessToken).int("book_id")
            try await #require(app.database).writer.write { db in
                try db.execute(sql: "UPDATE book SET published_at = 'not a date' WHERE id = ?", arguments: [id])
            }
            let read = try await app.send(.get, "/api/v1/books/\(id)", token: admin.accessToken)
            #expect(read.status == .internalServerError)
            #expect(try read.problem()["status"] as? Int == 500)
            #expect(!read.text.contains("0001-01-01"))
            // The other books are unaffected.
            let other = try await app.createBook(token: admin.accessToken).int("book_id")
            #expect(try await app.send(.get, "/api/v1/books/\(other)", token: admin.accessToken).status == .ok)
        }
    }

    @Test func theErrorSaysWhereTheValueIs() throws {
        #expect(throws: UnreadableStoredValue.self) { try CalendarDate.stored("2023-02-29", book: 7) }
        let error = UnreadableStoredValue(table: "book", rowID: 7, column: "published_at", value: "2023-02-29")
        #expect(error.description.contains("book 7") && error.description.contains("published_at") && error.description.contains("\"2023-02-29\""))
        #expect(try CalendarDate.stored("2024-02-29", book: 7) == CalendarDate("2024-02-29"))
    }
}
