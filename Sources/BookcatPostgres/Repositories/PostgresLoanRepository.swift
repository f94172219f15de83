import BookcatCore
import Foundation
import PostgresNIO

struct PostgresLoanRepository: LoanRepository {
    let sql: SQLRunner

    static let columns = "id, user_id, book_id, quantity, is_returned, created_at, returned_at"
    typealias Row = (Int64, Int64, Int64, Int, Bool, Date, Date?)

    static func loan(_ row: Row) -> Loan {
        Loan(id: row.0, userID: row.1, bookID: row.2, quantity: row.3, isReturned: row.4, createdAt: row.5, returnedAt: row.6)
    }

    // MARK: - Writes

    func create(userID: Int64, bookID: Int64, quantity: Int, now: Date) async throws -> Loan {
        try await sql.write { db in
            // Check, take and record in one statement: the conditional update locks the book's row, and a concurrent
            // loan waits for this one and re-checks the condition against the stock this one left, on every replica.
            // One round trip, as each is one step of a grouped transaction that holds the catalog's counter rows.
            let row = try await db.rows(
                """
                WITH taken AS (
                  UPDATE book SET stock = stock - \(quantity), updated_at = \(now) WHERE id = \(bookID) AND stock >= \(quantity) RETURNING id
                )
                INSERT INTO loan (user_id, book_id, quantity, is_returned, created_at)
                SELECT \(userID), id, \(quantity), false, \(now) FROM taken
                RETURNING \(unescaped: Self.columns)
                """
            ).decode(Row.self).firstElement()
            if let row { return Self.loan(row) }
            guard let stock = try await db.rows("SELECT stock FROM book WHERE id = \(bookID)").decode(Int.self).firstElement() else {
                throw CatalogError.noSuchBook(bookID)
            }
            throw CatalogError.notEnoughCopies(ofBook: bookID, available: stock, requested: quantity)
        }
    }

    func markReturned(id: Int64, now: Date) async throws -> Loan {
        try await sql.write { db in
            // Marked and its copies put back in one statement; the loan's row lock lets only one of two returns
            // of it through (the other finds it returned).
            let row = try await db.rows(
                """
                WITH returned AS (
                  UPDATE loan SET is_returned = true, returned_at = \(now) WHERE id = \(id) AND NOT is_returned
                  RETURNING \(unescaped: Self.columns)
                ), restocked AS (
                  UPDATE book SET stock = book.stock + returned.quantity, updated_at = \(now) FROM returned WHERE book.id = returned.book_id
                )
                SELECT * FROM returned
                """
            ).decode(Row.self).firstElement()
            if let row { return Self.loan(row) }
            if try await db.execute("SELECT id FROM loan WHERE id = \(id)") == 1 { throw CatalogError.loanAlreadyReturned(id) }
            throw CatalogError.noSuchLoan(id)
        }
    }

    // MARK: - Reads

    func loan(id: Int64) async throws -> Loan? {
        try await sql.read { db in
            try await db.rows("SELECT \(unescaped: Self.columns) FROM loan WHERE id = \(id)").decode(Row.self).firstElement().map(Self.loan)
        }
    }

    func loans(userID: Int64?) async throws -> [Loan] {
        try await sql.read { db in
            let query: PostgresQuery =
                if let userID {
                    "SELECT \(unescaped: Self.columns) FROM loan WHERE user_id = \(userID) ORDER BY id DESC"
                } else {
                    "SELECT \(unescaped: Self.columns) FROM loan ORDER BY id DESC"
                }
            return try await db.rows(query).decode(Row.self).collect().map(Self.loan)
        }
    }

    func loans(bookID: Int64) async throws -> [Loan] {
        try await sql.snapshot { db in
            guard try await db.execute("SELECT id FROM book WHERE id = \(bookID)") == 1 else {
                throw CatalogError.noSuchBook(bookID)
            }
            return try await db.rows("SELECT \(unescaped: Self.columns) FROM loan WHERE book_id = \(bookID) ORDER BY id DESC").decode(Row.self)
                .collect()
                .map(Self.loan)
        }
    }
}
