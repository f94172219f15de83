import NIOConcurrencyHelpers

/// Stops sending commands to a Redis that keeps failing, so each request pays at most the timeouts of a few
/// failed attempts, not one per request. After a pause one probe is let through; its result closes or re-opens it.
/// Each failed probe doubles the pause (up to eight times `openDuration`), so a Redis that stays down is retried
/// with backoff rather than hammered.
final class CircuitBreaker: Sendable {
    private enum State {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant, pause: Duration)
        case probing(lastPause: Duration)
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
            case .open(let until, let pause):
                guard now >= until else { return false }
                state = .probing(lastPause: pause)
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
            case .closed:
                state = .open(until: now + openDuration, pause: openDuration)
            case .probing(let lastPause):
                let pause = min(lastPause * 2, openDuration * 8)
                state = .open(until: now + pause, pause: pause)
            case .open:
                break
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
