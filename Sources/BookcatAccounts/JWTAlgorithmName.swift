/// The HMAC algorithms access and refresh tokens may be signed with (`JWT_ALGORITHM`).
public enum JWTAlgorithmName: String, Sendable, CaseIterable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    /// An HMAC key shorter than the digest weakens it; jwt-kit asserts on such keys.
    public var minimumKeyBytes: Int {
        switch self {
        case .hs256: 32
        case .hs384: 48
        case .hs512: 64
        }
    }
}
