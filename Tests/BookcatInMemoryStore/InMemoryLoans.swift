import BookcatCore
import Foundation
import Synchronization

/// Loans that take copies off the shelf and put them back, never below zero.
struct InMemoryLoans: LoanRepository {
    let catalog: InMemoryCatalog

    func create(userID: Int64, bookID: Int64, quantity: Int, now: Date) async throws -> Loan {
        try catalog.state.withLock { state in
            guard let stock = state.books[bookID]?.stock else { throw CatalogError.noSuchBook(bookID) }
            guard stock >= quantity else {
                throw CatalogError.notEnoughCopies(ofBook: bookID, available: stock, requested: quantity)
            }
            state.books[bookID]?.stock = stock - quantity
            let loan = Loan(
                id: state.nextID(),
                userID: userID,
                bookID: bookID,
                quantity: quantity,
                isReturned: false,
                createdAt: now,
                returnedAt: nil
            )
            state.loans[loan.id] = loan
            state.versions.catalog += 1
            return loan
        }
    }

    func loan(id: Int64) async throws -> Loan? { catalog.state.withLock { $0.loans[id] } }

    func loans(userID: Int64?) async throws -> [Loan] {
        catalog.state.withLock { state in
            state.loans.values.filter { userID == nil || $0.userID == userID }.sorted { $0.id > $1.id }
        }
    }

    func loans(bookID: Int64) async throws -> [Loan] {
        try catalog.state.withLock { state in
            guard state.books[bookID] != nil else { throw CatalogError.noSuchBook(bookID) }
            return state.loans.values.filter { $0.bookID == bookID }.sorted { $0.id > $1.id }
        }
    }

    func markReturned(id: Int64, now: Date) async throws -> Loan {
        try catalog.state.withLock { state in
            guard var loan = state.loans[id] else { throw CatalogError.noSuchLoan(id) }
            if loan.isReturned { throw CatalogError.loanAlreadyReturned(id) }
            loan.isReturned = true
            loan.returnedAt = now
            state.loans[id] = loan
            state.books[loan.bookID]?.stock += loan.quantity
            state.versions.catalog += 1
            return loan
        }
    }
}
