/// One counter a ``LoginThrottle`` keeps in its store: the key it is kept under, how many attempts a window allows,
/// and how long a window lasts. Every store names and limits its counters the same way, through these.
public struct ThrottleCounter: Sendable, Equatable {
    public var key: String
    public var limit: Int
    /// Seconds from a window's first attempt to its end.
    public var windowSeconds: Double

    /// The counters a login attempt takes from: the account's failures, the client address's failures, and the
    /// account's password checks (which a success does not give back).
    public static func login(account: String, client: String, limits: LoginLimits) -> [ThrottleCounter] {
        [
            ThrottleCounter(key: accountKey(account), limit: limits.failuresPerAccount, windowSeconds: limits.window.seconds),
            ThrottleCounter(key: clientKey(client), limit: limits.failuresPerClient, windowSeconds: limits.window.seconds),
            ThrottleCounter(key: "checks:" + account, limit: limits.checksPerAccount, windowSeconds: limits.checkWindow.seconds),
        ]
    }

    /// The counter a refresh takes from: the account's refreshes.
    public static func refresh(account: String, limits: LoginLimits) -> [ThrottleCounter] {
        [ThrottleCounter(key: "refresh:" + account, limit: limits.refreshesPerAccount, windowSeconds: limits.refreshWindow.seconds)]
    }

    /// The counter a signup takes from: the client address's signups.
    public static func signup(client: String, limits: LoginLimits) -> [ThrottleCounter] {
        [ThrottleCounter(key: "signup:" + client, limit: limits.signupsPerClient, windowSeconds: limits.signupWindow.seconds)]
    }

    public static func accountKey(_ account: String) -> String { "account:" + account }
    public static func clientKey(_ client: String) -> String { "client:" + client }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
