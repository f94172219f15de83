import BookcatCore
import BookcatDigest
import Crypto
import Foundation
import JWTKit

/// Signs and verifies the service's JWTs with one HMAC key and algorithm.
public struct TokenService: Sendable {
    let keys: JWTKeyCollection
    /// The same key, for refresh tokens, which are signed reproducibly (``signReproducibly(_:)``).
    private let key: SymmetricKey
    /// Claims of tokens already verified, by the exact token text, so a client's repeated requests skip the HMAC and
    /// JSON work. Safe because a signature check depends only on the token and the key, and the key never changes
    /// while the process runs; expiry is still checked on every use.
    private let verified = SelfEmptyingCache<SessionClaims>()
    public let algorithm: JWTAlgorithmName
    public let accessTTL: TimeInterval
    public let refreshTTL: TimeInterval
    /// What "now" is for issuing and for checking expiry.
    public let clock: WallClock

    public init(secret: String, algorithm: JWTAlgorithmName, accessTTL: Int, refreshTTL: Int, clock: WallClock = .system) async {
        let keys = JWTKeyCollection()
        let digest: DigestAlgorithm =
            switch algorithm {
            case .hs256: .sha256
            case .hs384: .sha384
            case .hs512: .sha512
            }
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: digest)
        self.keys = keys
        self.key = SymmetricKey(data: Array(secret.utf8))
        self.algorithm = algorithm
        self.accessTTL = TimeInterval(accessTTL)
        self.refreshTTL = TimeInterval(refreshTTL)
        self.clock = clock
    }

    public struct IssuedRefreshToken {
        public var token: String
        public var record: RefreshTokenRecord
    }

    /// An access token for `userID` in `session` (the refresh-token family of its login).
    public func accessToken(for userID: Int64, session: String, now: Date? = nil) async throws -> String {
        let now = Self.wholeSeconds(now ?? clock.now())
        let claims = SessionClaims(
            sub: .init(value: String(userID)),
            iat: .init(value: now),
            exp: .init(value: now.addingTimeInterval(accessTTL)),
            jti: .init(value: UUID().uuidString),
            tokenUse: .access,
            sid: session
        )
        return try await keys.sign(claims)
    }

    /// The first refresh token of a new session (a new family), together with the record to store.
    public func refreshToken(for userID: Int64, now: Date? = nil) async throws -> IssuedRefreshToken {
        try await refreshToken(tokenID: UUID().uuidString, for: userID, familyID: UUID().uuidString, now: now ?? clock.now())
    }

    /// The token that replaces the one whose hash is `presentedHash` when it is used at `now`. The same inputs give
    /// the same token, byte for byte (its id is derived from the presented token and HMAC signatures are
    /// deterministic), so a client retrying a refresh within the grace period gets the successor it lost instead
    /// of a second, independent one.
    public func refreshToken(succeeding presentedHash: String, for userID: Int64, familyID: String, now: Date) async throws -> IssuedRefreshToken {
        let digest = Array(SHA256.hash(data: Array("successor of \(presentedHash)".utf8)))
        let tokenID = UUID(
            uuid: (
                digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]
            )
        ).uuidString
        return try await refreshToken(tokenID: tokenID, for: userID, familyID: familyID, now: now)
    }

    private func refreshToken(tokenID: String, for userID: Int64, familyID family: String, now: Date) async throws -> IssuedRefreshToken {
        let now = Self.wholeSeconds(now)
        let expiresAt = now.addingTimeInterval(refreshTTL)
        let claims = SessionClaims(
            sub: .init(value: String(userID)),
            iat: .init(value: now),
            exp: .init(value: expiresAt),
            jti: .init(value: tokenID),
            tokenUse: .refresh,
            fam: family
        )
        let token = try signReproducibly(claims)
        let record = RefreshTokenRecord(tokenID: tokenID, familyID: family, userID: userID, tokenHash: Self.hash(token), expiresAt: expiresAt)
        return IssuedRefreshToken(token: token, record: record)
    }

    /// A JWT that is the same bytes for the same claims in every process. jwt-kit writes the header from a
    /// dictionary, whose order can differ between processes, so a retried refresh answered by another replica would
    /// get a different token; here the header is fixed and the claims' keys sorted. jwt-kit verifies it like any other.
    private func signReproducibly(_ claims: SessionClaims) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        let header = #"{"alg":"\#(algorithm.rawValue)","typ":"JWT"}"#
        let signingInput = Data(header.utf8).base64URLEncodedString() + "." + (try encoder.encode(claims)).base64URLEncodedString()
        let input = Data(signingInput.utf8)
        let signature: Data =
            switch algorithm {
            case .hs256: Data(HMAC<SHA256>.authenticationCode(for: input, using: key))
            case .hs384: Data(HMAC<SHA384>.authenticationCode(for: input, using: key))
            case .hs512: Data(HMAC<SHA512>.authenticationCode(for: input, using: key))
            }
        return signingInput + "." + signature.base64URLEncodedString()
    }

    /// The claims of a valid token of the expected kind, or nil for anything else: garbled, expired, not yet
    /// valid, signed with another key or algorithm (including `none`), or a token of the other kind.
    public func verify(_ token: String, as use: SessionClaims.Use) async -> SessionClaims? {
        if let claims = verified[token] {
            // The signature was checked when the token was cached; its time limits must still be checked now.
            guard claims.tokenUse == use, claims.isCurrent(at: clock.now()) else { return nil }
            return claims
        }
        guard headerAlgorithm(of: token) == algorithm.rawValue,
            let claims = try? await keys.verify(token, as: SessionClaims.self),
            claims.isCurrent(at: clock.now()),
            claims.tokenUse == use, claims.userID != nil
        else { return nil }
        if use == .refresh, claims.fam == nil { return nil }
        // Tokens from before sessions existed name none; they cannot be ended, so they are not accepted.
        if use == .access, claims.sid == nil { return nil }
        verified.remember(claims, for: token)
        return claims
    }

    /// JWT times are seconds; whole ones keep the claims readable for every client library.
    public static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    /// Refresh tokens are stored only as this hash, so a copy of the database cannot be replayed.
    public static func hash(_ token: String) -> String {
        SHA256.hex(of: Array(token.utf8))
    }

    /// jwt-kit verifies with the configured key whatever the header says; checking `alg` ourselves
    /// also rejects tokens that merely claim another algorithm.
    private func headerAlgorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Data(base64URLEncoded: String(header)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }
}

extension Data {
    func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
