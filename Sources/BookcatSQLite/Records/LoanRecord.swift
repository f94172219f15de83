import BookcatCore
import Foundation
import GRDB

struct LoanRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "loan"

    var id: Int64?
    var userID: Int64
    var bookID: Int64
    var quantity: Int
    var isReturned: Bool
    var createdAt: Date
    var returnedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, quantity
        case userID = "user_id"
        case bookID = "book_id"
        case isReturned = "is_returned"
        case createdAt = "created_at"
        case returnedAt = "returned_at"
    }

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let userID = Column(CodingKeys.userID)
        static let bookID = Column(CodingKeys.bookID)
        static let isReturned = Column(CodingKeys.isReturned)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var loan: Loan {
        Loan(id: id ?? 0, userID: userID, bookID: bookID, quantity: quantity, isReturned: isReturned, createdAt: createdAt, returnedAt: returnedAt)
    }
}
