import BookcatCore
import Foundation
import PostgresNIO

/// Login and signup counters in PostgreSQL, shared by every replica on the database.
///
/// Not in Redis: an evicted counter is an unlocked account. Each reservation is one transaction that first locks
/// every counter it reads (creating missing ones, in key order so two reservations cannot deadlock), so checking
/// the limits and counting cannot interleave between replicas: N concurrent guesses are let through at most up to
/// the limit.
struct PostgresLoginThrottle: LoginThrottle {
    let sql: SQLRunner
    let limits: LoginLimits
    /// When windows start and end; tests move it instead of waiting a window out.
    let clock: WallClock

    func reserveAttempt(account: String, client: String) async throws -> Duration? {
        try await reserve(ThrottleCounter.login(account: account, client: client, limits: limits))
    }

    func recordSuccess(account: String, client: String) async throws {
        try await sql.write { db in
            try await db.execute("DELETE FROM throttle_window WHERE key = \(ThrottleCounter.accountKey(account))")
            try await db.execute(
                "UPDATE throttle_window SET attempts = attempts - 1 WHERE key = \(ThrottleCounter.clientKey(client)) AND attempts > 0"
            )
        }
    }

    func giveBack(account: String, client: String) async throws {
        try await sql.write { db in
            for counter in ThrottleCounter.login(account: account, client: client, limits: limits) {
                try await db.execute("UPDATE throttle_window SET attempts = attempts - 1 WHERE key = \(counter.key) AND attempts > 0")
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
        return try await sql.write { db in
            var wait = 0.0
            for counter in counters.sorted(by: { $0.key < $1.key }) {
                // Locks the counter, starting a new window when there is none or the last one has ended.
                let row = try await db.rows(
                    """
                    INSERT INTO throttle_window AS w (key, attempts, ends_at) VALUES (\(counter.key), 0, \(now + counter.windowSeconds))
                    ON CONFLICT (key) DO UPDATE SET
                      attempts = CASE WHEN w.ends_at <= \(now) THEN 0 ELSE w.attempts END,
                      ends_at = CASE WHEN w.ends_at <= \(now) THEN EXCLUDED.ends_at ELSE w.ends_at END
                    RETURNING attempts, ends_at
                    """
                ).decode((Int, Double).self).firstElement()
                if let (attempts, endsAt) = row, attempts >= counter.limit { wait = max(wait, endsAt - now) }
            }
            if wait > 0 { return .milliseconds(Int64((wait * 1000).rounded(.up))) }
            try await db.execute("UPDATE throttle_window SET attempts = attempts + 1 WHERE key = ANY(\(counters.map(\.key)))")
            // Finished windows are forgotten as we go; rows another reservation holds are left for a later one.
            try await db.execute(
                """
                DELETE FROM throttle_window WHERE key IN
                  (SELECT key FROM throttle_window WHERE ends_at <= \(now) LIMIT 100 FOR UPDATE SKIP LOCKED)
                """
            )
            return nil
        }
    }
}
