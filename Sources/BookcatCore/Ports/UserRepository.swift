import Foundation

/// Stores accounts. Emails and usernames are unique regardless of case.
public protocol UserRepository: Sendable {
    /// Throws ``CatalogError/conflict(_:)`` when the email or username is taken.
    func create(_ user: NewUser) async throws -> User
    /// Throws the conflict ``create(_:)`` would throw when the e-mail or username is taken: a cheap read, so a
    /// taken name is refused before any password is hashed.
    func ensureAvailable(email: String, username: String) async throws
    func user(id: Int64) async throws -> User?
    /// The account, only while `session` (a refresh-token family of it) has not ended: not logged out, revoked by
    /// a password change or reuse detection, or expired. Runs on every authenticated request whose session the
    /// process cannot vouch for from memory.
    func liveSession(userID: Int64, session: String) async throws -> LiveSession?
    func user(email: String) async throws -> User?
    func user(username: String) async throws -> User?
    func allUsers() async throws -> [User]
    /// Changes the given fields; nil leaves a field as it is. A new password hash revokes every refresh token of the
    /// account in the same transaction, so no session started with the old password outlives the change.
    /// Throws ``CatalogError/notFound(_:)`` or ``CatalogError/conflict(_:)``.
    func update(id: Int64, username: String?, passwordHash: String?) async throws -> User
    /// Deletes the account with its refresh tokens and returned loans.
    /// Throws ``CatalogError/conflict(_:)`` while the account still has books on loan, so no copy is lost.
    func delete(id: Int64) async throws
}

/// An account whose session had not ended when the store was read.
public struct LiveSession: Sendable, Equatable {
    public var user: User
    /// When the session ends unless it is refreshed first: the latest expiry among its unrevoked refresh tokens.
    public var endsAt: Date
    /// The store's session epoch (``StoreVersions/sessions``) in the same read: any later write that could end
    /// this session moves it.
    public var epoch: Int64

    public init(user: User, endsAt: Date, epoch: Int64) {
        self.user = user
        self.endsAt = endsAt
        self.epoch = epoch
    }
}
