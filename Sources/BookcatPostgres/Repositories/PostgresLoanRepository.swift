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
            // Check and decrement in one conditional statement: it locks the book's row, and a concurrent loan
            // waits for this one and re-checks the condition against the stock this one left, on every replica.
            let taken = try await db.execute(
                "UPDATE book SET stock = stock - \(quantity), updated_at = \(now) WHERE id = \(bookID) AND stock >= \(quantity) RETURNING stock"
            )
            if taken == 0 {
                guard let stock = try await db.rows("SELECT stock FROM book WHERE id = \(bookID)").decode(Int.self).firstElement() else {
                    throw CatalogError.noSuchBook(bookID)
                }
                throw CatalogError.notEnoughCopies(ofBook: bookID, available: stock, requested: quantity)
            }
            let row = try await db.rows(
                """
                INSERT INTO loan (user_id, book_id, quantity, is_returned, created_at)
                VALUES (\(userID), \(bookID), \(quantity), false, \(now))
                RETURNING \(unescaped: Self.columns)
                """
            ).decode(Row.self).firstElement()
            return Self.loan(row!)
        }
    }

    func markReturned(id: Int64, now: Date) async throws -> Loan {
        try await sql.write { db in
            // Locked, so two returns of one loan cannot both put its copies back.
            let current = try await db.rows("SELECT \(unescaped: Self.columns) FROM loan WHERE id = \(id) FOR UPDATE").decode(Row.self).firstElement()
            guard var loan = current.map(Self.loan) else { throw CatalogError.noSuchLoan(id) }
            if loan.isReturned { throw CatalogError.loanAlreadyReturned(id) }
            try await db.execute("UPDATE loan SET is_returned = true, returned_at = \(now) WHERE id = \(id)")
            try await db.execute("UPDATE book SET stock = stock + \(loan.quantity), updated_at = \(now) WHERE id = \(loan.bookID)")
            loan.isReturned = true
            loan.returnedAt = now
            return loan
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
