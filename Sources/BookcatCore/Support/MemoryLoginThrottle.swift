import Synchronization

/// Failed-login counters in this process's memory: the throttle without Redis, and its fallback when Redis fails.
public final class MemoryLoginThrottle: LoginThrottle {
    private struct Window {
        var failures: Int
        var endsAt: ContinuousClock.Instant
    }

    private let limits: LoginLimits
    private let windows = Mutex<[String: Window]>([:])

    public init(limits: LoginLimits = LoginLimits()) {
        self.limits = limits
    }

    public func reserveAttempt(account: String, client: String) async -> Duration? {
        let now = ContinuousClock.now
        return windows.withLock { windows in
            let limited = [("account:" + account, limits.failuresPerAccount), ("client:" + client, limits.failuresPerClient)]
            let waits = limited.compactMap { key, limit -> Duration? in
                guard let window = windows[key], window.endsAt > now, window.failures >= limit else { return nil }
                return window.endsAt - now
            }
            if let wait = waits.max() { return wait }
            // Forget finished windows as we go, so the table cannot grow without bound.
            if windows.count > 10_000 { windows = windows.filter { $0.value.endsAt > now } }
            for (key, _) in limited {
                if let window = windows[key], window.endsAt > now {
                    windows[key]!.failures = window.failures + 1
                } else {
                    windows[key] = Window(failures: 1, endsAt: now + limits.window)
                }
            }
            return nil
        }
    }

    public func recordSuccess(account: String, client: String) async {
        windows.withLock { windows in
            windows.removeValue(forKey: "account:" + account)
            if let window = windows["client:" + client], window.failures > 0 { windows["client:" + client]!.failures -= 1 }
        }
    }
}
