import Foundation

/// Remembers issued refresh tokens by hash so each one works once and a stolen one can be detected.
public protocol RefreshTokenRepository: Sendable {
    func store(_ token: RefreshTokenRecord) async throws
    /// In one transaction: if `presentedHash` names a current, unexpired token of `successor`'s user and family,
    /// marks it used and stores `successor`. A token used no more than `grace` ago (a client retrying a refresh whose
    /// answer it lost, or two tabs racing) gets `successor` too. Any other used or revoked token revokes the family.
    func rotate(presentedHash: String, successor: RefreshTokenRecord, now: Date, grace: TimeInterval) async throws -> RefreshRotation
    /// Revokes the token's family if it belongs to `userID`; returns whether a token of that user was found.
    func revokeFamily(ofTokenHash tokenHash: String, userID: Int64, now: Date) async throws -> Bool
    /// Revokes every refresh token of the user, e.g. after a password change.
    func revokeAll(userID: Int64, now: Date) async throws
}
