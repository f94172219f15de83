import BookcatCore
import Foundation
import Synchronization

/// The login throttle's counters in fixed windows that start at their first attempt, on the injected wall clock.
final class InMemoryLoginThrottle: LoginThrottle {
    private struct Window {
        var count = 0
        var startedAt: Date
    }

    private let windows = Mutex<[String: Window]>([:])
    private let clock: WallClock
    private let limits: LoginLimits

    init(clock: WallClock, limits: LoginLimits) {
        self.clock = clock
        self.limits = limits
    }

    func reserveAttempt(account: String, client: String) async throws -> Duration? {
        reserve([
            ("failures:account:\(account)", limits.failuresPerAccount, limits.window),
            ("failures:client:\(client)", limits.failuresPerClient, limits.window),
            ("checks:\(account)", limits.checksPerAccount, limits.checkWindow),
        ])
    }

    func recordSuccess(account: String, client: String) async throws {
        windows.withLock { windows in
            windows["failures:account:\(account)"] = nil
            if let count = windows["failures:client:\(client)"]?.count, count > 0 { windows["failures:client:\(client)"]?.count = count - 1 }
        }
    }

    func giveBack(account: String, client: String) async throws {
        windows.withLock { windows in
            for key in ["failures:account:\(account)", "failures:client:\(client)", "checks:\(account)"] {
                if let count = windows[key]?.count, count > 0 { windows[key]?.count = count - 1 }
            }
        }
    }

    func reserveSignup(client: String) async throws -> Duration? {
        reserve([("signups:\(client)", limits.signupsPerClient, limits.signupWindow)])
    }

    func reserveRefresh(account: String) async throws -> Duration? {
        reserve([("refreshes:\(account)", limits.refreshesPerAccount, limits.refreshWindow)])
    }

    /// Counts one in every window, or none and returns the longest wait when any is full.
    private func reserve(_ counters: [(key: String, limit: Int, window: Duration)]) -> Duration? {
        let now = clock.now()
        return windows.withLock { windows in
            var wait: Duration?
            for counter in counters {
                let seconds = Double(counter.window.components.seconds)
                if let window = windows[counter.key], now.timeIntervalSince(window.startedAt) >= seconds { windows[counter.key] = nil }
                if let window = windows[counter.key], window.count >= counter.limit {
                    let left = Duration.seconds(seconds - now.timeIntervalSince(window.startedAt))
                    wait = max(wait ?? .zero, left)
                }
            }
            if wait != nil { return wait }
            for counter in counters { windows[counter.key, default: Window(startedAt: now)].count += 1 }
            return nil
        }
    }
}
