import Foundation

/// The server's record of one issued refresh token. Only a hash of the token is kept.
///
/// Tokens issued by rotating one another share a `familyID`; presenting a token that was already
/// rotated means it was copied, so the whole family is revoked.
public struct RefreshTokenRecord: Sendable, Equatable {
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
        usedAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.tokenID = tokenID
        self.familyID = familyID
        self.userID = userID
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.revokedAt = revokedAt
    }
}

/// What presenting a refresh token for rotation found.
public enum RefreshRotation: Sendable, Equatable {
    /// The token was current; it is now used and its successor is stored.
    case rotated(userID: Int64)
    /// The token was used less than the grace period ago, at `usedAt`: nothing changed, and the caller answers with
    /// the successor that use was given (see ``RefreshTokenRepository/rotate(presentedHash:successor:now:grace:)``).
    case retried(userID: Int64, usedAt: Date)
    /// The token was already used or revoked: its family has now been revoked.
    case reuseDetected
    /// No such token (never issued, expired, or its user is gone).
    case unknown
}
