import BookcatCore

/// Logins or signups are paused for this account or client address; answered as 429 with `Retry-After`.
public struct TooManyAttempts: Error {
    public enum Kind: Sendable {
        case logins, signups, refreshes
    }

    public var kind: Kind
    public var retryAfter: Duration

}
