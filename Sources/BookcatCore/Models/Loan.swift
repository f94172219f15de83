import Foundation

/// Copies of one book lent to one member. Returning a loan puts its copies back on the shelf.
public struct Loan: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var bookID: Int64
    public var quantity: Int
    public var isReturned: Bool
    public var createdAt: Date
    public var returnedAt: Date?

    public init(id: Int64, userID: Int64, bookID: Int64, quantity: Int, isReturned: Bool, createdAt: Date, returnedAt: Date?) {
        self.id = id
        self.userID = userID
        self.bookID = bookID
        self.quantity = quantity
        self.isReturned = isReturned
        self.createdAt = createdAt
        self.returnedAt = returnedAt
    }
}
