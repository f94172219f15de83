import BookcatCore
import Foundation
import GRDB

/// Login and signup counters in the database, beside the accounts they protect.
///
/// Not in Redis: the cache shares Redis under an `allkeys-lru` policy, and an evicted counter is an unlocked account.
/// Every server process on the database shares the counts, and each reservation is one write (its own savepoint in
/// a group commit), and SQLite runs writes one at a time: checking the limits and counting cannot interleave.
struct SQLiteLoginThrottle: LoginThrottle {
    let writer: any DatabaseWriter
    /// Writes go through here, to share a commit with the writes running at the same time.
    let commits: GroupCommit
    let limits: LoginLimits
    /// When windows start and end; tests move it instead of waiting a window out.
    let clock: WallClock

    func reserveAttempt(account: String, client: String) async throws -> Duration? {
        try await reserve(ThrottleCounter.login(account: account, client: client, limits: limits))
    }

    func recordSuccess(account: String, client: String) async throws {
        try await commits.write { db in
            try db.cachedStatement(sql: "DELETE FROM throttle_window WHERE key = ?").execute(arguments: [ThrottleCounter.accountKey(account)])
            try db.cachedStatement(sql: "UPDATE throttle_window SET attempts = attempts - 1 WHERE key = ? AND attempts > 0").execute(arguments: [
                ThrottleCounter.clientKey(client)
            ])
        }
    }

    func giveBack(account: String, client: String) async throws {
        try await commits.write { db in
            for counter in ThrottleCounter.login(account: account, client: client, limits: limits) {
                try db.cachedStatement(sql: "UPDATE throttle_window SET attempts = attempts - 1 WHERE key = ? AND attempts > 0")
                    .execute(arguments: [counter.key])
            }
        }
    }

    func reserveSignup(client: String) async throws -> Duration? {
        try await reserve(ThrottleCounter.signup(client: client, limits: limits))
    }

    func reserveRefresh(account: String) async throws -> Duration? {
        try await reserve(ThrottleCounter.refresh(account: account, limits: limits))
    }

    /// Returns the longest remaining lockout among `counters` (counting nothing), or counts one attempt on each and
    /// returns nil.
    private func reserve(_ counters: [ThrottleCounter]) async throws -> Duration? {
        let now = clock.now().timeIntervalSince1970
        return try await commits.write { db in
            // Finished windows are forgotten as we go (indexed), so the table holds only live counts. Statements are
            // kept prepared: every login runs these, and preparing them again cost as much as running them.
            try db.cachedStatement(sql: "DELETE FROM throttle_window WHERE ends_at <= ?").execute(arguments: [now])
            var wait = 0.0
            for counter in counters {
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT attempts, ends_at FROM throttle_window WHERE key = ?"),
                    arguments: [counter.key]
                )
                if let row, (row["attempts"] as Int) >= counter.limit { wait = max(wait, (row["ends_at"] as Double) - now) }
            }
            if wait > 0 { return .milliseconds(Int64((wait * 1000).rounded(.up))) }
            for counter in counters {
                let count = try db.cachedStatement(
                    sql: """
                        INSERT INTO throttle_window (key, attempts, ends_at) VALUES (?, 1, ?)
                        ON CONFLICT (key) DO UPDATE SET attempts = attempts + 1
                        """
                )
                try count.execute(arguments: [counter.key, now + counter.windowSeconds])
            }
            return nil
        }
    }
}
