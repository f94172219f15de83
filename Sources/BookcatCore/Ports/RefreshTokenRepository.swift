import Foundation

/// Remembers issued refresh tokens by hash so each one works once and a stolen one can be detected.
public protocol RefreshTokenRepository: Sendable {
    /// Stores the first token of a login's session, only while the account still exists with the password hash
    /// the login verified: checked and written in one transaction, so a password change or a deletion that commits
    /// while the login is in flight leaves no session behind. Returns false, storing nothing, when either happened.
    /// `replacement`, when given, becomes the account's password hash in that same transaction: a login that
    /// verified a hash another system made (Django's) upgrades it to bcrypt exactly when its session begins. The
    /// account's other sessions stay: the password did not change, only how it is stored.
    func store(_ token: RefreshTokenRecord, whilePasswordHashIs passwordHash: String, replacingItWith replacement: String?) async throws -> Bool
    /// In one transaction: if `presentedHash` names a current, unexpired token of `successor`'s user and family,
    /// marks it used and stores `successor`. A token used less than `grace` ago (a client retrying a refresh whose
    /// answer it lost, or two tabs racing) stores nothing and answers ``RefreshRotation/retried(userID:usedAt:)``:
    /// the caller hands out the successor that first use got, so a retry never forks the session. Any other used
    /// or revoked token revokes the family. A rotation also forgets the family's used tokens but the
    /// ``usedTokensKept`` most recently used (reuse of an older one is refused as unknown, without revoking), so a
    /// session's rows stay bounded however long it lives.
    func rotate(presentedHash: String, successor: RefreshTokenRecord, now: Date, grace: TimeInterval) async throws -> RefreshRotation
    /// Revokes the token's family if it belongs to `userID`; returns whether a token of that user was found.
    func revokeFamily(ofTokenHash tokenHash: String, userID: Int64, now: Date) async throws -> Bool
    /// Deletes up to `limit` tokens that can never work again (expired at `now`, or revoked); returns how many.
    /// None of them keeps a session alive, so deleting them ends none.
    func purge(now: Date, limit: Int) async throws -> Int
}

extension RefreshTokenRepository {
    /// ``store(_:whilePasswordHashIs:replacingItWith:)`` keeping the hash as it is.
    public func store(_ token: RefreshTokenRecord, whilePasswordHashIs passwordHash: String) async throws -> Bool {
        try await store(token, whilePasswordHashIs: passwordHash, replacingItWith: nil)
    }

    /// How many of a session's used tokens are remembered, to tell a stolen token's reuse from a retry.
    public static var usedTokensKept: Int { 16 }
}
