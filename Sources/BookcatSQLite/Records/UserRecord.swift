import BookcatCore
import Foundation
import GRDB

struct UserRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "user"

    var id: Int64?
    var email: String
    var username: String {
        didSet { usernameKey = UsernameSkeleton.of(username) }
    }
    /// The username's skeleton (``UsernameSkeleton``): what uniqueness and lookups go by.
    var usernameKey: String
    var passwordHash: String
    var role: String
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, email, username, role
        case usernameKey = "username_key"
        case passwordHash = "password_hash"
        case createdAt = "created_at"
    }

    enum Columns {
        static let email = Column(CodingKeys.email)
        static let usernameKey = Column(CodingKeys.usernameKey)
    }

    init(id: Int64?, email: String, username: String, passwordHash: String, role: String, createdAt: Date) {
        self.id = id
        self.email = email
        self.username = username
        self.usernameKey = UsernameSkeleton.of(username)
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = createdAt
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var user: User {
        User(id: id ?? 0, email: email, username: username, passwordHash: passwordHash, role: Role(rawValue: role) ?? .user, createdAt: createdAt)
    }
}
