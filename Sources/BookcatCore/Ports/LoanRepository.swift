import Foundation

/// Stores loans and moves stock with them.
public protocol LoanRepository: Sendable {
    /// Takes `quantity` copies off the shelf and records the loan, atomically: stock never goes below zero
    /// and concurrent loans never lose an update. Throws ``CatalogError/notFound(_:)`` for an unknown book
    /// and ``CatalogError/conflict(_:)`` when fewer copies are on the shelf.
    func create(userID: Int64, bookID: Int64, quantity: Int, now: Date) async throws -> Loan
    func loan(id: Int64) async throws -> Loan?
    /// Every loan, or only those of `userID`, newest first.
    func loans(userID: Int64?) async throws -> [Loan]
    /// Loans of one book, newest first. Throws ``CatalogError/notFound(_:)`` for an unknown book.
    func loans(bookID: Int64) async throws -> [Loan]
    /// Marks the loan returned and puts its copies back, atomically. Throws ``CatalogError/conflict(_:)`` if already returned.
    func markReturned(id: Int64, now: Date) async throws -> Loan
}
