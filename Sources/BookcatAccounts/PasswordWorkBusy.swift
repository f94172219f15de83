import BookcatCore

/// Password checks are all taken: answered 503 with `Retry-After`, so a client can wait and try again.
public struct PasswordWorkBusy: Error {
    public var retryAfter: Duration

}
