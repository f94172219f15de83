import Foundation

/// The rows of a whole store, as they are stored (password hashes, token hashes and all), for moving a catalog from
/// one store to another, where the models do not already hold a row as stored: a user with its username skeleton,
/// a book without its tags, and one book-tag link. (Tags, loans and refresh tokens travel as `Tag`, `Loan` and
/// `RefreshTokenRecord`.) A copy keeps every row exactly, so accounts still log in and sessions still refresh.
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

}
