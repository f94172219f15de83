import BookcatCore
import Foundation
import GRDB

struct UserRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "user"

    var id: Int64?
    var email: String
    var username: String
    var passwordHash: String
    var role: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, email, username, role
        case passwordHash = "password_hash"
        case createdAt = "created_at"
    }

    enum Columns {
        static let email = Column(CodingKeys.email)
        static let username = Column(CodingKeys.username)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var user: User {
        User(id: id ?? 0, email: email, username: username, passwordHash: passwordHash, role: Role(rawValue: role) ?? .user, createdAt: createdAt)
    }
}
