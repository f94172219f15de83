import Foundation

/// A registered account. `passwordHash` is a bcrypt hash and never leaves the server.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var email: String
    public var username: String
    public var passwordHash: String
    public var role: Role
    public var createdAt: Date

    public init(id: Int64, email: String, username: String, passwordHash: String, role: Role, createdAt: Date) {
        self.id = id
        self.email = email
        self.username = username
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = createdAt
    }

    public var isAdmin: Bool { role == .admin }
}

/// What is needed to store a new account; the password is already hashed.
public struct NewUser: Sendable {
    public var email: String
    public var username: String
    public var passwordHash: String
    public var role: Role

    public init(email: String, username: String, passwordHash: String, role: Role) {
        self.email = email
        self.username = username
        self.passwordHash = passwordHash
        self.role = role
    }
}
