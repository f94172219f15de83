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
/// always have one. Each identifier (what a login names) has at most ``runningPerIdentifier`` checks running; its
/// others wait their turn, so guesses at one account cannot take every thread, and every account behaves alike
/// (a refusal only some accounts could cause would tell which were imported). A check that would wait beyond the
/// queue's length, or does not start within the queue's time, is refused (``PasswordWorkBusy``, answered 503 with
/// `Retry-After`); a check whose request is cancelled (the server stopping) leaves the queue at once.
final class PasswordWork: Sendable {
    struct Limits: Sendable, Equatable {
        /// Checks running at once (each holds one thread): at least two, so the costly lane never has them all, and
        /// at most the password threads there are.
        var concurrent: Int
        /// Checks waiting, at most, in each lane.
        var queueLength: Int
        /// How long a check may wait to start.
        var queueWait: Duration

        init(concurrent: Int = PasswordWork.threadCount, queueLength: Int = 64, queueWait: Duration = .seconds(5)) {
            self.concurrent = min(max(2, concurrent), PasswordWork.threadCount)
            self.queueLength = max(0, queueLength)
            self.queueWait = queueWait
        }

        /// Costly checks running at once: half the threads, at least one.
        var costlyConcurrent: Int { max(1, concurrent / 2) }
    }

    /// What a check costs, and whom it is for (nil: a hash of a new password, which no identifier names).
    struct Check: Sendable {
        var costly: Bool
        var identifier: String?

        static func ordinary(_ identifier: String? = nil) -> Check { Check(costly: false, identifier: identifier) }
        static func costly(_ identifier: String? = nil) -> Check { Check(costly: true, identifier: identifier) }
    }

    let limits: Limits
    /// Checks one identifier may have running at once: two, so a login sent twice (a double click, a retry) runs
    /// both; the rest of that identifier's checks wait.
    static let runningPerIdentifier = 2
    private let pool: NIOThreadPool
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

    /// `pool` runs the checks: the process's password threads unless a test passes its own.
    init(limits: Limits = Limits(), pool: NIOThreadPool? = nil, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.limits = limits
        self.pool = pool ?? Self.threads
        ordinaryRuns = Counter(label: "password_checks_total", dimensions: [("lane", "ordinary")], factory: metrics)
        costlyRuns = Counter(label: "password_checks_total", dimensions: [("lane", "costly")], factory: metrics)
        refusals = Counter(label: "password_checks_refused_total", factory: metrics)
    }

    /// The password threads: the cores, and at least two (one for each lane).
    static let threadCount = max(2, System.coreCount)

    /// One pool for the process, started once and never stopped (like NIO's own singleton): every application built
    /// in a process (each test builds one) shares its threads, each with its own admission, which never admits more
    /// than the pool has threads.
    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }()

    /// Runs `work` on a password thread once admitted; throws ``PasswordWorkBusy`` if it cannot be, or
    /// `CancellationError` if the task is cancelled first.
    func run<Value: Sendable>(_ check: Check, _ work: @escaping @Sendable () -> Value) async throws -> Value {
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
                    let queue = check.costly ? state.costly : state.ordinary
                    if canStart(check, in: state) {
                        start(check, in: &state)
                        return .now
                    }
                    guard queue.count < limits.queueLength else { return .refused }
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
            // Ordinary checks first: they are the cheap ones, and the costly lane is the one under attack. In each
            // lane, the first waiter that may start (one whose identifier has its checks running waits on).
            var started: [Waiter] = []
            for costly in [false, true] {
                while let index = (costly ? state.costly : state.ordinary).firstIndex(where: { canStart($0.check, in: state) }) {
                    let waiter = costly ? state.costly.remove(at: index) : state.ordinary.remove(at: index)
                    start(waiter.check, in: &state)
                    started.append(waiter)
                }
            }
            return started
        }
        for waiter in started {
            waiter.expiry?.cancel()
            waiter.continuation.resume()
        }
    }

    private func canStart(_ check: Check, in state: State) -> Bool {
        guard state.running < limits.concurrent else { return false }
        if check.costly, state.costlyRunning >= limits.costlyConcurrent { return false }
        if let identifier = check.identifier, state.runningByIdentifier[identifier, default: 0] >= Self.runningPerIdentifier { return false }
        return true
    }

    private func start(_ check: Check, in state: inout State) {
        state.running += 1
        if check.costly { state.costlyRunning += 1 }
        if let identifier = check.identifier { state.runningByIdentifier[identifier, default: 0] += 1 }
    }
}
