/// Limits password guessing and account creation, so neither can be done at speed.
///
/// Logins are counted per account (whether or not it exists, so a 429 reveals nothing) and per client address,
/// within a fixed window that starts at the first attempt. An attempt is reserved *before* the password is checked,
/// in one atomic step that checks the limits and counts: N concurrent guesses are evaluated at most up to the limit,
/// never all N. The counters live where nothing evicts them: a cache under memory pressure must never unlock an
/// account.
public protocol LoginThrottle: Sendable {
    /// Takes one attempt for `account` from `client`: counts it at once and returns nil when it may go ahead, or
    /// returns how long to wait when the account or the client is locked out (and counts nothing).
    func reserveAttempt(account: String, client: String) async throws -> Duration?
    /// The reserved attempt proved the password: clears the account's count and gives the client its attempt back,
    /// so only failures lock anyone out.
    func recordSuccess(account: String, client: String) async throws
    /// Takes one signup for `client`, successful or not: a signup costs a bcrypt hash, so an address may only ask
    /// so often. Returns nil when it may go ahead, or how long to wait.
    func reserveSignup(client: String) async throws -> Duration?
}

/// How many attempts lock out an account or a client address, and for how long.
public struct LoginLimits: Sendable, Equatable {
    public var failuresPerAccount: Int
    public var failuresPerClient: Int
    public var window: Duration
    public var signupsPerClient: Int
    public var signupWindow: Duration

    public init(
        failuresPerAccount: Int = 5,
        failuresPerClient: Int = 20,
        window: Duration = .seconds(15 * 60),
        signupsPerClient: Int = 10,
        signupWindow: Duration = .seconds(60 * 60)
    ) {
        self.failuresPerAccount = failuresPerAccount
        self.failuresPerClient = failuresPerClient
        self.window = window
        self.signupsPerClient = signupsPerClient
        self.signupWindow = signupWindow
    }
}
