/// Limits password guessing and account creation, so neither can be done at speed.
///
/// Logins are counted per account (whether or not it exists, so a 429 reveals nothing) and per client address,
/// within a fixed window that starts at the first attempt. Failures lock out; every password check, failed or not,
/// also counts towards a short-window limit per account, because each costs a bcrypt evaluation: one member
/// logging in correctly in a loop must not slow everyone else's logins down. Refreshes are counted per account too:
/// each writes a token row. An attempt is reserved *before* the password is checked, in one atomic step that checks
/// the limits and counts: N concurrent guesses are evaluated at most up to the limit, never all N. The counters live
/// where nothing evicts them: a cache under memory pressure must never unlock an account.
public protocol LoginThrottle: Sendable {
    /// Takes one attempt for `account` from `client`: counts it at once and returns nil when it may go ahead, or
    /// returns how long to wait when the account or the client is locked out (and counts nothing).
    func reserveAttempt(account: String, client: String) async throws -> Duration?
    /// The reserved attempt proved the password: clears the account's count and gives the client its attempt back,
    /// so only failures lock anyone out.
    func recordSuccess(account: String, client: String) async throws
    /// The reserved attempt was never checked (the password threads were busy, or the request was cancelled): gives
    /// back what it took from the account's and the client's counts, since it proved nothing either way.
    func giveBack(account: String, client: String) async throws
    /// Takes one signup for `client`, successful or not: a signup costs a bcrypt hash, so an address may only ask
    /// so often. Returns nil when it may go ahead, or how long to wait.
    func reserveSignup(client: String) async throws -> Duration?
    /// Takes one refresh for `account`, successful or not. Returns nil when it may go ahead, or how long to wait.
    func reserveRefresh(account: String) async throws -> Duration?
}

/// How many attempts lock out an account or a client address, and for how long.
public struct LoginLimits: Sendable, Equatable {
    public var failuresPerAccount: Int
    public var failuresPerClient: Int
    public var window: Duration
    public var signupsPerClient: Int
    public var signupWindow: Duration
    /// Password checks (logins and `current_password`), failed or not, per account and `checkWindow`.
    public var checksPerAccount: Int
    public var checkWindow: Duration
    /// Refreshes per account and `refreshWindow`.
    public var refreshesPerAccount: Int
    public var refreshWindow: Duration

    public init(
        failuresPerAccount: Int = 5,
        failuresPerClient: Int = 20,
        window: Duration = .seconds(15 * 60),
        signupsPerClient: Int = 10,
        signupWindow: Duration = .seconds(60 * 60),
        checksPerAccount: Int = 10,
        checkWindow: Duration = .seconds(60),
        refreshesPerAccount: Int = 10,
        refreshWindow: Duration = .seconds(60)
    ) {
        self.failuresPerAccount = failuresPerAccount
        self.failuresPerClient = failuresPerClient
        self.window = window
        self.signupsPerClient = signupsPerClient
        self.signupWindow = signupWindow
        self.checksPerAccount = checksPerAccount
        self.checkWindow = checkWindow
        self.refreshesPerAccount = refreshesPerAccount
        self.refreshWindow = refreshWindow
    }
}
