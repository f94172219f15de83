import BookcatCore
import Foundation
import GRDB

struct SQLiteLoanRepository: LoanRepository {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit

    // MARK: - Writes

    func create(userID: Int64, bookID: Int64, quantity: Int, now: Date) async throws -> Loan {
        try await commits.write { db in
            // Check and decrement in one statement inside the write transaction: SQLite runs one writer at a
            // time, so two loans can never both see the same copies on the shelf.
            try db.execute(
                sql: "UPDATE book SET stock = stock - ?, updated_at = ? WHERE id = ? AND stock >= ?",
                arguments: [quantity, now, bookID, quantity]
            )
            if db.changesCount == 0 {
                guard let stock = try Int.fetchOne(db, sql: "SELECT stock FROM book WHERE id = ?", arguments: [bookID]) else {
                    throw CatalogError.noSuchBook(bookID)
                }
                throw CatalogError.notEnoughCopies(ofBook: bookID, available: stock, requested: quantity)
            }
            var record = LoanRecord(id: nil, userID: userID, bookID: bookID, quantity: quantity, isReturned: false, createdAt: now, returnedAt: nil)
            try record.insert(db)
            return record.loan
        }
    }

    func markReturned(id: Int64, now: Date) async throws -> Loan {
        try await commits.write { db in
            guard var record = try LoanRecord.fetchOne(db, id: id) else { throw CatalogError.noSuchLoan(id) }
            if record.isReturned { throw CatalogError.loanAlreadyReturned(id) }
            record.isReturned = true
            record.returnedAt = now
            try record.update(db)
            try db.execute(
                sql: "UPDATE book SET stock = stock + ?, updated_at = ? WHERE id = ?",
                arguments: [record.quantity, now, record.bookID]
            )
            return record.loan
        }
    }

    // MARK: - Reads

    func loan(id: Int64) async throws -> Loan? {
        try await writer.read { db in try LoanRecord.fetchOne(db, id: id)?.loan }
    }

    func loans(userID: Int64?) async throws -> [Loan] {
        try await writer.read { db in
            var request = LoanRecord.order(LoanRecord.Columns.id.desc)
            if let userID { request = request.filter(LoanRecord.Columns.userID == userID) }
            return try request.fetchAll(db).map(\.loan)
        }
    }

    func loans(bookID: Int64) async throws -> [Loan] {
        try await writer.read { db in
            guard try BookRecord.exists(db, key: bookID) else { throw CatalogError.noSuchBook(bookID) }
            return try LoanRecord.filter(LoanRecord.Columns.bookID == bookID).order(LoanRecord.Columns.id.desc).fetchAll(db).map(\.loan)
        }
    }
}
