import Foundation
import JWTKit

/// What an access or refresh token says. The `token_use` claim keeps the two kinds apart, so a refresh
/// token is never accepted as an access token nor the other way round.
public struct SessionClaims: JWTPayload {
    public enum Use: String, Codable, Sendable {
        case access
        case refresh
    }

    public var sub: SubjectClaim
    public var iat: IssuedAtClaim
    public var nbf: NotBeforeClaim?
    public var exp: ExpirationClaim
    public var jti: IDClaim
    public var tokenUse: Use
    /// The rotation family of a refresh token.
    public var fam: String?
    /// The session (login) an access token belongs to: its refresh-token family. Checked on every request, so
    /// ending the session ends its access tokens at once.
    public var sid: String?

    public enum CodingKeys: String, CodingKey {
        case sub, iat, nbf, exp, jti, fam, sid
        case tokenUse = "token_use"
    }

    /// jwt-kit calls this after checking the signature. The times are not checked here, where only the system
    /// clock could be read: ``TokenService`` checks them with ``isCurrent(at:)`` against its own clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Whether the token is inside its validity window at `now`.
    public func isCurrent(at now: Date) -> Bool {
        guard (try? exp.verifyNotExpired(currentDate: now)) != nil else { return false }
        if let nbf, (try? nbf.verifyNotBefore(currentDate: now)) == nil { return false }
        return true
    }

    public var userID: Int64? { Int64(sub.value) }
}
