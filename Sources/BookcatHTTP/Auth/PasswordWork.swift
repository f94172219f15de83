import DequeModule
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where every password hash and verification runs: threads of its own, and an admission that bounds what waits
/// for them, in number and in time, so no flood of password checks can make everyone's login wait without end.
///
/// A check is *costly* when its hash costs more than one of this service's own bcrypt hashes (an imported Django
/// PBKDF2 hash, up to two million iterations): costly checks may hold at most half the threads, so ordinary logins
/// always have one, and each identifier may have two costly checks admitted at a time, so guesses at one account
/// cannot fill the costly lane. A check that would wait beyond the queue's length, or does not start within the
/// queue's time, is refused (``PasswordWorkBusy``, answered 503 with `Retry-After`); a cancelled request's check
/// leaves the queue at once.
final class PasswordWork: Sendable {
    struct Limits: Sendable, Equatable {
        /// Checks running at once (each holds one thread).
        var concurrent: Int
        /// Checks waiting, at most, in each lane.
        var queueLength: Int
        /// How long a check may wait to start.
        var queueWait: Duration

        init(concurrent: Int = System.coreCount, queueLength: Int = 64, queueWait: Duration = .seconds(5)) {
            self.concurrent = max(1, concurrent)
            self.queueLength = max(0, queueLength)
            self.queueWait = queueWait
        }

        /// Costly checks running at once: half the threads, at least one.
        var costlyConcurrent: Int { max(1, concurrent / 2) }
    }

    enum Lane: Sendable {
        case ordinary
        /// With the identifier it is for (``costlyPerIdentifier`` admitted each), nil when there is none.
        case costly(identifier: String?)
    }

    let limits: Limits
    /// Costly checks one identifier may have admitted at once: two, so a person whose first login after an import
    /// is sent twice (a double click, a retry) is not refused; the guesses a crowd could spend on one account
    /// are few either way.
    static let costlyPerIdentifier = 2
    private let pool: NIOThreadPool
    private let state = NIOLockedValueBox(State())

    private struct Waiter {
        let id: UInt64
        let lane: Lane
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var costlyRunning = 0
        var ordinary: Deque<Waiter> = []
        var costly: Deque<Waiter> = []
        /// Identifiers with costly checks admitted (waiting or running), and how many.
        var costlyIdentifiers: [String: Int] = [:]
        var nextID: UInt64 = 0
    }

    /// Checks run, by lane, and checks refused, by why: `password_checks_total{lane}` and
    /// `password_checks_refused_total{reason="busy"|"identifier"}`.
    private let ordinaryRuns: Counter
    private let costlyRuns: Counter
    private let refusedBusy: Counter
    private let refusedIdentifier: Counter

    /// `pool` runs the checks: the process's password threads unless a test passes its own.
    init(limits: Limits = Limits(), pool: NIOThreadPool? = nil, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.limits = limits
        self.pool = pool ?? Self.threads
        ordinaryRuns = Counter(label: "password_checks_total", dimensions: [("lane", "ordinary")], factory: metrics)
        costlyRuns = Counter(label: "password_checks_total", dimensions: [("lane", "costly")], factory: metrics)
        refusedBusy = Counter(label: "password_checks_refused_total", dimensions: [("reason", "busy")], factory: metrics)
        refusedIdentifier = Counter(label: "password_checks_refused_total", dimensions: [("reason", "identifier")], factory: metrics)
    }

    /// One pool for the process, started once and never stopped (like NIO's own singleton): every application built
    /// in a process (each test builds one) shares its threads, each with its own admission. Sized by the machine,
    /// not by `Limits`, which bound how many of them one admission uses.
    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: System.coreCount)
        pool.start()
        return pool
    }()

    /// What the gauges show: checks running and waiting.
    var load: (running: Int, waiting: Int) {
        state.withLockedValue { ($0.running, $0.ordinary.count + $0.costly.count) }
    }

    /// Runs `work` on a password thread once admitted; throws ``PasswordWorkBusy`` if it cannot be, ``TooManyAttempts``
    /// if its identifier already has a costly check admitted, `CancellationError` if the task is cancelled first.
    func run<Value: Sendable>(_ lane: Lane, _ work: @escaping @Sendable () -> Value) async throws -> Value {
        do {
            try await admit(lane)
        } catch let error as PasswordWorkBusy {
            refusedBusy.increment()
            throw error
        } catch let error as TooManyAttempts {
            refusedIdentifier.increment()
            throw error
        }
        defer { release(lane) }
        // Cancelled while it was being admitted: the thread goes to the next check instead.
        try Task.checkCancellation()
        (lane.isCostly ? costlyRuns : ordinaryRuns).increment()
        return try await pool.runIfActive(work)
    }

    // MARK: - Admission

    private enum Admission {
        case now
        case queued(UInt64)
        case refused(any Error)
    }

    private func admit(_ lane: Lane) async throws {
        try Task.checkCancellation()
        let waitingID = NIOLockedValueBox<UInt64?>(nil)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let admission = state.withLockedValue { state -> Admission in
                    if case .costly(let identifier?) = lane {
                        guard state.costlyIdentifiers[identifier, default: 0] < Self.costlyPerIdentifier else {
                            return .refused(TooManyAttempts(kind: .logins, retryAfter: .seconds(1)))
                        }
                        state.costlyIdentifiers[identifier, default: 0] += 1
                    }
                    if canStart(lane, in: state) {
                        start(lane, in: &state)
                        return .now
                    }
                    let queued = lane.isCostly ? state.costly.count : state.ordinary.count
                    guard queued < limits.queueLength else {
                        forget(lane, in: &state)
                        return .refused(PasswordWorkBusy(retryAfter: limits.queueWait))
                    }
                    state.nextID += 1
                    let waiter = Waiter(id: state.nextID, lane: lane, continuation: continuation)
                    if lane.isCostly { state.costly.append(waiter) } else { state.ordinary.append(waiter) }
                    return .queued(waiter.id)
                }
                switch admission {
                case .now: continuation.resume()
                case .refused(let error): continuation.resume(throwing: error)
                case .queued(let id):
                    waitingID.withLockedValue { $0 = id }
                    // Not started within the queue's time: refused, so a client hears back instead of waiting on.
                    Task { [limits] in
                        try? await Task.sleep(for: limits.queueWait)
                        self.withdraw(id, with: PasswordWorkBusy(retryAfter: limits.queueWait))
                    }
                }
            }
        } onCancel: {
            if let id = waitingID.withLockedValue({ $0 }) { withdraw(id, with: CancellationError()) }
        }
    }

    /// Takes waiter `id` out of its queue, if it is still there, and resumes it with `error`.
    private func withdraw(_ id: UInt64, with error: any Error) {
        let withdrawn = state.withLockedValue { state -> Waiter? in
            if let index = state.ordinary.firstIndex(where: { $0.id == id }) { return state.ordinary.remove(at: index) }
            if let index = state.costly.firstIndex(where: { $0.id == id }) {
                let waiter = state.costly.remove(at: index)
                forget(waiter.lane, in: &state)
                return waiter
            }
            return nil
        }
        withdrawn?.continuation.resume(throwing: error)
    }

    private func release(_ lane: Lane) {
        let started = state.withLockedValue { state -> [Waiter] in
            state.running -= 1
            if lane.isCostly { state.costlyRunning -= 1 }
            forget(lane, in: &state)
            // Ordinary checks first: they are the cheap ones, and the costly lane is the one under attack.
            var started: [Waiter] = []
            while let next = state.ordinary.first, canStart(next.lane, in: state) {
                state.ordinary.removeFirst()
                start(next.lane, in: &state)
                started.append(next)
            }
            while let next = state.costly.first, canStart(next.lane, in: state) {
                state.costly.removeFirst()
                start(next.lane, in: &state)
                started.append(next)
            }
            return started
        }
        for waiter in started { waiter.continuation.resume() }
    }

    private func canStart(_ lane: Lane, in state: State) -> Bool {
        state.running < limits.concurrent && (!lane.isCostly || state.costlyRunning < limits.costlyConcurrent)
    }

    private func start(_ lane: Lane, in state: inout State) {
        state.running += 1
        if lane.isCostly { state.costlyRunning += 1 }
    }

    private func forget(_ lane: Lane, in state: inout State) {
        guard case .costly(let identifier?) = lane, let count = state.costlyIdentifiers[identifier] else { return }
        state.costlyIdentifiers[identifier] = count > 1 ? count - 1 : nil
    }
}

extension PasswordWork.Lane {
    var isCostly: Bool {
        if case .costly = self { return true }
        return false
    }
}
