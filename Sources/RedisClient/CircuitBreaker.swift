import NIOConcurrencyHelpers

/// Stops sending commands to a Redis that keeps failing, so each request pays at most the timeouts of a few
/// failed attempts, not one per request. After `openDuration` one probe is let through; its result closes or re-opens it.
final class CircuitBreaker: Sendable {
    private enum State {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case probing
    }

    private let state = NIOLockedValueBox(State.closed(failures: 0))
    private let threshold: Int
    private let openDuration: Duration

    init(threshold: Int, openDuration: Duration) {
        self.threshold = threshold
        self.openDuration = openDuration
    }

    /// Whether a command may be sent now; while open, only the first caller after the pause gets through (as the probe).
    func allowRequest(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLockedValue { state in
            switch state {
            case .closed: return true
            case .probing: return false
            case .open(let until):
                guard now >= until else { return false }
                state = .probing
                return true
            }
        }
    }

    func recordSuccess() {
        state.withLockedValue { $0 = .closed(failures: 0) }
    }

    func recordFailure(now: ContinuousClock.Instant = .now) {
        state.withLockedValue { state in
            switch state {
            case .closed(let failures) where failures + 1 < threshold:
                state = .closed(failures: failures + 1)
            default:
                state = .open(until: now + openDuration)
            }
        }
    }

    var isOpen: Bool {
        state.withLockedValue { state in
            if case .closed = state { return false }
            return true
        }
    }
}
