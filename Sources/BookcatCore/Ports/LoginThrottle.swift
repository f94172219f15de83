/// Limits failed logins, so passwords cannot be guessed at speed.
///
/// Counted per account identifier (whether or not the account exists, so a 429 reveals nothing) and per client
/// address, within a fixed window that starts at the first failure.
public protocol LoginThrottle: Sendable {
    /// How long until `account` may try again from `client`, or nil when it may try now.
    func retryAfter(account: String, client: String) async -> Duration?
    func recordFailure(account: String, client: String) async
    /// A successful login clears the account's failures (not the client's).
    func recordSuccess(account: String) async
}

/// How many failures lock out an account or a client address, and for how long.
public struct LoginLimits: Sendable, Equatable {
    public var failuresPerAccount: Int
    public var failuresPerClient: Int
    public var window: Duration

    public init(failuresPerAccount: Int = 5, failuresPerClient: Int = 20, window: Duration = .seconds(15 * 60)) {
        self.failuresPerAccount = failuresPerAccount
        self.failuresPerClient = failuresPerClient
        self.window = window
    }
}
