import BookcatCore
import Synchronization

/// Decides whether a caller's `Cache-Control: no-cache`/`no-store` is honoured.
///
/// An uncached listing renders from the database, which at a million books can cost hundreds of milliseconds of
/// CPU: a privilege, not something any signed-in member may ask for in a loop. Who may is configured
/// (`CACHE_BYPASS`), and even they get at most `perAccount` uncached renders at a time; beyond that, and for
/// everyone else, the directive is ignored and the request is served like any other (`X-Cache` says how).
final class CacheBypassGate: Sendable {
    private let who: ServerConfiguration.CacheBypass
    private let perAccount: Int
    private let running = Mutex<[Int64: Int]>([:])

    init(who: ServerConfiguration.CacheBypass, perAccount: Int = 2) {
        self.who = who
        self.perAccount = perAccount
    }

    /// Runs `body` with the policy `user` asked for when they may bypass the cache now, else with `.normal`.
    func withPolicy<T>(
        _ requested: CachePolicy,
        for user: User,
        _ body: (CachePolicy) async throws -> T
    ) async throws -> T {
        guard requested != .normal, isAllowed(user), enter(user.id) else { return try await body(.normal) }
        defer { leave(user.id) }
        return try await body(requested)
    }

    private func isAllowed(_ user: User) -> Bool {
        switch who {
        case .everyone: true
        case .admins: user.isAdmin
        case .nobody: false
        }
    }

    private func enter(_ account: Int64) -> Bool {
        running.withLock { running in
            guard running[account, default: 0] < perAccount else { return false }
            running[account, default: 0] += 1
            return true
        }
    }

    private func leave(_ account: Int64) {
        running.withLock { running in
            running[account, default: 1] -= 1
            if running[account] == 0 { running[account] = nil }
        }
    }
}
