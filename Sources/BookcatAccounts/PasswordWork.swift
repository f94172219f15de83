import DequeModule
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where every password hash and verification runs: threads of their own, and an admission that bounds what waits
/// for them, in number and in time, so no flood of password checks can make everyone's login wait without end.
///
/// A check is *costly* when its hash costs more than one of this service's own bcrypt hashes (an imported Django
/// PBKDF2 hash, up to two million iterations): costly checks may hold at most half the threads, so ordinary logins
/// always have one. Each identifier (what a login names) has at most ``Limits/perIdentifier`` checks running; its
/// others wait their turn, so guesses at one account cannot take every thread, and every account behaves alike
/// (a refusal only some accounts could cause would tell which were imported). A check that would wait beyond the
/// queue's length, or does not start within the queue's time, is refused (``PasswordWorkBusy``, answered 503 with
/// `Retry-After`); a check whose request is cancelled (the server stopping) leaves the queue at once.
public final class PasswordWork: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Checks running at once, each on a thread of this admission's own pool: at least two, so the costly lane
        /// never has them all.
        public var concurrent: Int
        /// Checks waiting, at most, in each lane.
        public var queueLength: Int
        /// How long a check may wait to start.
        public var queueWait: Duration

        public init(concurrent: Int = System.coreCount, queueLength: Int = 64, queueWait: Duration = .seconds(5)) {
            self.concurrent = max(2, concurrent)
            self.queueLength = max(0, queueLength)
            self.queueWait = queueWait
        }

        /// Costly checks running at once: half the threads, at least one.
        public var costlyConcurrent: Int { max(1, concurrent / 2) }
        /// Checks one identifier may have running at once: two (a login sent twice, a double click or a retry, runs
        /// both), and always fewer than all the threads, so one account's guesses never hold every one.
        public var perIdentifier: Int { min(2, concurrent - 1) }
    }

    /// What a check costs, and whom it is for (nil: a hash of a new password, which no identifier names).
    public struct Check: Sendable {
        public var costly: Bool
        public var identifier: String?

        public static func ordinary(_ identifier: String? = nil) -> Check { Check(costly: false, identifier: identifier) }
        public static func costly(_ identifier: String? = nil) -> Check { Check(costly: true, identifier: identifier) }
    }

    public let limits: Limits
    private let pool: NIOThreadPool
    /// Whether this admission started `pool`, and stops it when it goes.
    private let ownsPool: Bool
    private let state = NIOLockedValueBox(State())

    private struct Waiter {
        let id: UInt64
        let check: Check
        let continuation: CheckedContinuation<Void, any Error>
        /// Refuses the waiter when the queue's time is up; cancelled once it starts or leaves.
        var expiry: Task<Void, Never>?
    }

    private struct State {
        var running = 0
        var costlyRunning = 0
        var runningByIdentifier: [String: Int] = [:]
        var ordinary: Deque<Waiter> = []
        var costly: Deque<Waiter> = []
        var nextID: UInt64 = 0
    }

    /// Checks run, by lane, and checks refused: `password_checks_total{lane}`, `password_checks_refused_total`.
    private let ordinaryRuns: Counter
    private let costlyRuns: Counter
    private let refusals: Counter

    /// `pool` runs the checks: a pool of `limits.concurrent` threads of its own, stopped with it, unless a test
    /// passes one. Its own, not NIO's shared one: nothing else's work queues in front of a login there, and no other
    /// admission's (each test builds an application) either.
    public init(limits: Limits = Limits(), pool: NIOThreadPool? = nil, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.limits = limits
        if let pool {
            self.pool = pool
            ownsPool = false
        } else {
            self.pool = NIOThreadPool(numberOfThreads: limits.concurrent)
            self.pool.start()
            ownsPool = true
        }
        ordinaryRuns = Counter(label: "password_checks_total", dimensions: [("lane", "ordinary")], factory: metrics)
        costlyRuns = Counter(label: "password_checks_total", dimensions: [("lane", "costly")], factory: metrics)
        refusals = Counter(label: "password_checks_refused_total", factory: metrics)
    }

    deinit {
        // Nothing runs on it any more: whatever ran held this admission.
        if ownsPool { pool.shutdownGracefully { _ in } }
    }

    /// Runs `work` on a password thread once admitted; throws ``PasswordWorkBusy`` if it cannot be, or
    /// `CancellationError` if the task is cancelled first.
    public func run<Value: Sendable>(_ check: Check, _ work: @escaping @Sendable () -> Value) async throws -> Value {
        do {
            try await admit(check)
        } catch let error as PasswordWorkBusy {
            refusals.increment()
            throw error
        }
        defer { release(check) }
        // Cancelled while it was being admitted: the thread goes to the next check instead.
        try Task.checkCancellation()
        (check.costly ? costlyRuns : ordinaryRuns).increment()
        return try await pool.runIfActive(work)
    }

    // MARK: - Admission

    private enum Admission {
        case now
        case queued(UInt64)
        case refused
    }

    private func admit(_ check: Check) async throws {
        try Task.checkCancellation()
        let queuedID = NIOLockedValueBox<UInt64?>(nil)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let admission = state.withLockedValue { state -> Admission in
                    // A waiter that could start is never left waiting (``release`` starts every one it can), so
                    // one that may start now passes nobody who could have.
                    if canStart(check, in: state) {
                        start(check, in: &state)
                        return .now
                    }
                    guard (check.costly ? state.costly.count : state.ordinary.count) < limits.queueLength else { return .refused }
                    state.nextID += 1
                    let id = state.nextID
                    // Not started within the queue's time: refused, so a client hears back instead of waiting on.
                    let expiry = Task { [limits] in
                        try? await Task.sleep(for: limits.queueWait)
                        if !Task.isCancelled { self.withdraw(id, with: PasswordWorkBusy(retryAfter: limits.queueWait)) }
                    }
                    let waiter = Waiter(id: id, check: check, continuation: continuation, expiry: expiry)
                    if check.costly { state.costly.append(waiter) } else { state.ordinary.append(waiter) }
                    return .queued(id)
                }
                switch admission {
                case .now: continuation.resume()
                case .refused: continuation.resume(throwing: PasswordWorkBusy(retryAfter: limits.queueWait))
                case .queued(let id):
                    queuedID.withLockedValue { $0 = id }
                    // Cancelled before the handler below could know the id: leave now.
                    if Task.isCancelled { withdraw(id, with: CancellationError()) }
                }
            }
        } onCancel: {
            if let id = queuedID.withLockedValue({ $0 }) { withdraw(id, with: CancellationError()) }
        }
    }

    /// Takes waiter `id` out of its queue, if it is still there, and resumes it with `error`.
    private func withdraw(_ id: UInt64, with error: any Error) {
        let withdrawn = state.withLockedValue { state -> Waiter? in
            if let index = state.ordinary.firstIndex(where: { $0.id == id }) { return state.ordinary.remove(at: index) }
            if let index = state.costly.firstIndex(where: { $0.id == id }) { return state.costly.remove(at: index) }
            return nil
        }
        guard let withdrawn else { return }
        withdrawn.expiry?.cancel()
        withdrawn.continuation.resume(throwing: error)
    }

    private func release(_ check: Check) {
        let started = state.withLockedValue { state -> [Waiter] in
            state.running -= 1
            if check.costly { state.costlyRunning -= 1 }
            if let identifier = check.identifier, let count = state.runningByIdentifier[identifier] {
                state.runningByIdentifier[identifier] = count > 1 ? count - 1 : nil
            }
            // The oldest waiter that may start, of either lane (one whose lane or identifier has its share running
            // waits on): a flood of either kind cannot keep the other waiting for ever.
            var started: [Waiter] = []
            while true {
                let ordinary = state.ordinary.firstIndex { canStart($0.check, in: state) }
                let costly = state.costly.firstIndex { canStart($0.check, in: state) }
                let waiter: Waiter
                switch (ordinary, costly) {
                case (nil, nil): return started
                case (let index?, nil): waiter = state.ordinary.remove(at: index)
                case (nil, let index?): waiter = state.costly.remove(at: index)
                case (let first?, let second?):
                    waiter = state.ordinary[first].id < state.costly[second].id ? state.ordinary.remove(at: first) : state.costly.remove(at: second)
                }
                start(waiter.check, in: &state)
                started.append(waiter)
            }
        }
        for waiter in started {
            waiter.expiry?.cancel()
            waiter.continuation.resume()
        }
    }

    private func canStart(_ check: Check, in state: State) -> Bool {
        guard state.running < limits.concurrent else { return false }
        if check.costly, state.costlyRunning >= limits.costlyConcurrent { return false }
        if let identifier = check.identifier, state.runningByIdentifier[identifier, default: 0] >= limits.perIdentifier { return false }
        return true
    }

    private func start(_ check: Check, in state: inout State) {
        state.running += 1
        if check.costly { state.costlyRunning += 1 }
        if let identifier = check.identifier { state.runningByIdentifier[identifier, default: 0] += 1 }
    }
}
