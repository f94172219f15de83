import Foundation

/// The rows of a whole store, as they are stored (password hashes, token hashes and all), for moving a catalog from
/// one store to another. Unlike the models, nothing here is checked or shaped for the API: a copy keeps every row
/// exactly, so accounts still log in and sessions still refresh on the new store.
public enum CatalogRows {
    public struct User: Sendable, Equatable {
        public var id: Int64
        public var email: String
        public var username: String
        /// The look-alike skeleton the uniqueness rule is on (see `UsernameSkeleton`), kept as stored: accounts that
        /// collided before the rule existed carry a suffixed one.
        public var usernameKey: String
        public var passwordHash: String
        public var role: String
        public var createdAt: Date

        public init(
            id: Int64,
            email: String,
            username: String,
            usernameKey: String,
            passwordHash: String,
            role: String,
            createdAt: Date
        ) {
            (self.id, self.email, self.username, self.usernameKey) = (id, email, username, usernameKey)
            (self.passwordHash, self.role, self.createdAt) = (passwordHash, role, createdAt)
        }
    }

    public struct Tag: Sendable, Equatable {
        public var id: Int64
        public var name: String

        public init(id: Int64, name: String) {
            (self.id, self.name) = (id, name)
        }
    }

    public struct Book: Sendable, Equatable {
        public var id: Int64
        public var title: String
        public var author: String
        public var isbn: String
        public var publisher: String?
        /// `YYYY-MM-DD`.
        public var publishedAt: String
        public var stock: Int
        public var createdAt: Date
        public var updatedAt: Date

        public init(
            id: Int64,
            title: String,
            author: String,
            isbn: String,
            publisher: String?,
            publishedAt: String,
            stock: Int,
            createdAt: Date,
            updatedAt: Date
        ) {
            (self.id, self.title, self.author, self.isbn, self.publisher) = (id, title, author, isbn, publisher)
            (self.publishedAt, self.stock, self.createdAt, self.updatedAt) = (publishedAt, stock, createdAt, updatedAt)
        }
    }

    public struct BookTag: Sendable, Equatable {
        public var bookID: Int64
        public var tagID: Int64

        public init(bookID: Int64, tagID: Int64) {
            (self.bookID, self.tagID) = (bookID, tagID)
        }
    }

    public struct Loan: Sendable, Equatable {
        public var id: Int64
        public var userID: Int64
        public var bookID: Int64
        public var quantity: Int
        public var isReturned: Bool
        public var createdAt: Date
        public var returnedAt: Date?

        public init(id: Int64, userID: Int64, bookID: Int64, quantity: Int, isReturned: Bool, createdAt: Date, returnedAt: Date?) {
            (self.id, self.userID, self.bookID, self.quantity) = (id, userID, bookID, quantity)
            (self.isReturned, self.createdAt, self.returnedAt) = (isReturned, createdAt, returnedAt)
        }
    }

    public struct RefreshToken: Sendable, Equatable {
        public var tokenID: String
        public var familyID: String
        public var userID: Int64
        public var tokenHash: String
        public var expiresAt: Date
        public var usedAt: Date?
        public var revokedAt: Date?

        public init(
            tokenID: String,
            familyID: String,
            userID: Int64,
            tokenHash: String,
            expiresAt: Date,
            usedAt: Date?,
            revokedAt: Date?
        ) {
            (self.tokenID, self.familyID, self.userID, self.tokenHash) = (tokenID, familyID, userID, tokenHash)
            (self.expiresAt, self.usedAt, self.revokedAt) = (expiresAt, usedAt, revokedAt)
        }
    }
}
