import BookcatCore
import DequeModule
import NIOConcurrencyHelpers

/// How many uncached renders members may cause: every new filter value a member sends is a miss, and a miss at a
/// million books can cost hundreds of milliseconds of CPU (the third audit's four member loops made 1,425 of them
/// in 15 s). Cached reads cost nothing here; only the request that renders pays.
///
/// Each account has a bucket of `burst` renders, refilled at `perAccountPerMinute` (a browsing person, or a client's
/// test suite, never notices; a loop is answered 429 with `Retry-After` once its bucket is empty). And members' renders run at
/// most `concurrent` at once across the process: one beyond waits up to `queueWait` for a turn, then is answered
/// 503 with `Retry-After`. Admins are not counted.
final class RenderBudget: Sendable {
    struct Limits: Sendable {
        var perAccountPerMinute: Int
        var burst: Int
        var concurrent: Int
        var queueWait: Duration

        init(perAccountPerMinute: Int = 120, burst: Int = 300, concurrent: Int = 8, queueWait: Duration = .seconds(5)) {
            self.perAccountPerMinute = max(1, perAccountPerMinute)
            self.burst = max(1, burst)
            self.concurrent = max(1, concurrent)
            self.queueWait = queueWait
        }
    }

    let limits: Limits
    private let state = NIOLockedValueBox(State())

    private struct Bucket {
        var tokens: Double
        var at: ContinuousClock.Instant
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
        /// Refuses the waiter when the queue's time is up; cancelled once it starts or leaves.
        let expiry: Task<Void, Never>
    }

    private struct State {
        var buckets: [Int64: Bucket] = [:]
        var running = 0
        var waiting: Deque<Waiter> = []
        var nextID: UInt64 = 0
    }

    /// Renders waiting for a turn at most; one more is answered 503 at once.
    static let maximumWaiting = 256

    /// Accounts remembered at most; beyond it, full buckets (nothing owed) are forgotten first.
    static let rememberedAccounts = 10_000

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Runs `render` for `user` within the budget; throws ``TooManyRenders`` when it is spent.
    func render<Value>(for user: User, _ render: () async throws -> Value) async throws -> Value {
        guard !user.isAdmin else { return try await render() }
        // The turn first: a render refused for want of one (or cancelled while waiting) costs the account nothing.
        try await enter()
        defer { leave() }
        try spendToken(of: user.id)
        return try await render()
    }

    // MARK: - The account's bucket

    private func spendToken(of account: Int64) throws {
        let capacity = Double(limits.burst)
        let perSecond = Double(limits.perAccountPerMinute) / 60
        let now = ContinuousClock.now
        let wait = state.withLockedValue { state -> Duration? in
            var bucket = state.buckets[account] ?? Bucket(tokens: capacity, at: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at).seconds * perSecond)
            bucket.at = now
            defer {
                state.buckets[account] = bucket
                if state.buckets.count > Self.rememberedAccounts { Self.forgetFull(&state, capacity: capacity, perSecond: perSecond, now: now) }
            }
            guard bucket.tokens >= 1 else { return .seconds((1 - bucket.tokens) / perSecond) }
            bucket.tokens -= 1
            return nil
        }
        if let wait { throw TooManyRenders(account: account, retryAfter: wait, reason: .account) }
    }

    private static func forgetFull(_ state: inout State, capacity: Double, perSecond: Double, now: ContinuousClock.Instant) {
        state.buckets = state.buckets.filter { _, bucket in bucket.tokens + (now - bucket.at).seconds * perSecond < capacity }
        // All spending at once: the oldest go, so the map stays bounded whatever the accounts do.
        if state.buckets.count > rememberedAccounts {
            let kept = state.buckets.sorted { $0.value.at > $1.value.at }.prefix(rememberedAccounts / 2)
            state.buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
    }

    // MARK: - The process's turns

    private func enter() async throws {
        try Task.checkCancellation()
        let queued = NIOLockedValueBox<UInt64?>(nil)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let id = state.withLockedValue { state -> UInt64?? in
                    guard state.running >= limits.concurrent else {
                        state.running += 1
                        return .some(nil)
                    }
                    guard state.waiting.count < Self.maximumWaiting else { return nil }
                    state.nextID += 1
                    let id = state.nextID
                    let expiry = Task { [limits] in
                        try? await Task.sleep(for: limits.queueWait)
                        if !Task.isCancelled { self.withdraw(id, with: TooManyRenders(account: nil, retryAfter: .seconds(1), reason: .busy)) }
                    }
                    state.waiting.append(Waiter(id: id, continuation: continuation, expiry: expiry))
                    return id
                }
                guard let admission = id else {
                    return continuation.resume(throwing: TooManyRenders(account: nil, retryAfter: .seconds(1), reason: .busy))
                }
                guard let id = admission else { return continuation.resume() }
                queued.withLockedValue { $0 = id }
                // Cancelled before the handler below could know the id: leave now.
                if Task.isCancelled { withdraw(id, with: CancellationError()) }
            }
        } onCancel: {
            if let id = queued.withLockedValue({ $0 }) { withdraw(id, with: CancellationError()) }
        }
    }

    private func withdraw(_ id: UInt64, with error: any Error) {
        let waiter = state.withLockedValue { state in
            state.waiting.firstIndex { $0.id == id }.map { state.waiting.remove(at: $0) }
        }
        guard let waiter else { return }
        waiter.expiry.cancel()
        waiter.continuation.resume(throwing: error)
    }

    private func leave() {
        let next = state.withLockedValue { state -> Waiter? in
            // The turn passes to the next waiter, or is given back.
            guard let next = state.waiting.popFirst() else {
                state.running -= 1
                return nil
            }
            return next
        }
        next?.expiry.cancel()
        next?.continuation.resume()
    }
}
