import Foundation
import JWTKit

/// What an access or refresh token says. The `token_use` claim keeps the two kinds apart, so a refresh
/// token is never accepted as an access token nor the other way round.
struct SessionClaims: JWTPayload {
    enum Use: String, Codable {
        case access
        case refresh
    }

    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var nbf: NotBeforeClaim?
    var exp: ExpirationClaim
    var jti: IDClaim
    var tokenUse: Use
    /// The rotation family of a refresh token.
    var fam: String?
    /// The session (login) an access token belongs to: its refresh-token family. Checked on every request, so
    /// ending the session ends its access tokens at once.
    var sid: String?

    enum CodingKeys: String, CodingKey {
        case sub, iat, nbf, exp, jti, fam, sid
        case tokenUse = "token_use"
    }

    /// jwt-kit calls this after checking the signature. The times are not checked here, where only the system
    /// clock could be read: ``TokenService`` checks them with ``isCurrent(at:)`` against its own clock.
    func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Whether the token is inside its validity window at `now`.
    func isCurrent(at now: Date) -> Bool {
        guard (try? exp.verifyNotExpired(currentDate: now)) != nil else { return false }
        if let nbf, (try? nbf.verifyNotBefore(currentDate: now)) == nil { return false }
        return true
    }

    var userID: Int64? { Int64(sub.value) }
}
