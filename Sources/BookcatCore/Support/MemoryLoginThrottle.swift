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

    public func retryAfter(account: String, client: String) async -> Duration? {
        let now = ContinuousClock.now
        return windows.withLock { windows in
            let waits = [("account:" + account, limits.failuresPerAccount), ("client:" + client, limits.failuresPerClient)]
                .compactMap { key, limit -> Duration? in
                    guard let window = windows[key], window.endsAt > now, window.failures >= limit else { return nil }
                    return window.endsAt - now
                }
            return waits.max()
        }
    }

    public func recordFailure(account: String, client: String) async {
        let now = ContinuousClock.now
        windows.withLock { windows in
            // Forget finished windows as we go, so the table cannot grow without bound.
            if windows.count > 10_000 { windows = windows.filter { $0.value.endsAt > now } }
            for key in ["account:" + account, "client:" + client] {
                if let window = windows[key], window.endsAt > now {
                    windows[key]!.failures = window.failures + 1
                } else {
                    windows[key] = Window(failures: 1, endsAt: now + limits.window)
                }
            }
        }
    }

    public func recordSuccess(account: String) async {
        _ = windows.withLock { $0.removeValue(forKey: "account:" + account) }
    }
}
