import NIOConcurrencyHelpers

/// What each reader (a process serving from memory on its lease, see ``CacheLease``) has confirmed it learned, and
/// the writers waiting for a confirmation.
final class ReaderAcks: Sendable {
    struct Ack: Sendable, Equatable {
        var generation: Int64
        var sessionEpoch: Int64
        /// The change counter whose announcement (and every one before it) the reader acted on.
        var changes: Int64

        func covers(_ wanted: Ack) -> Bool {
            generation >= wanted.generation && sessionEpoch >= wanted.sessionEpoch && changes >= wanted.changes
        }
    }

    private struct Waiter {
        var reader: String
        var wanted: Ack
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var acks: [String: Ack] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Readers come and go (every restart is a new one): past this many, confirmations nobody waits for are dropped.
    /// A writer that registers after its confirmation was dropped waits for the reader's lease instead: slower,
    /// never wrong.
    private static let remembered = 1_024

    /// How many readers' confirmations are kept (at most ``remembered`` besides those a writer waits for).
    var readersRemembered: Int { state.withLockedValue { $0.acks.count } }

    /// Records that `reader` has learned `ack` (and so everything before it), waking whoever waited for that.
    func record(_ ack: Ack, from reader: String) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            var newest = state.acks[reader] ?? ack
            newest.generation = max(newest.generation, ack.generation)
            newest.sessionEpoch = max(newest.sessionEpoch, ack.sessionEpoch)
            newest.changes = max(newest.changes, ack.changes)
            if state.acks.count >= Self.remembered, state.acks[reader] == nil {
                let awaited = Set(state.waiters.values.map(\.reader))
                state.acks = state.acks.filter { awaited.contains($0.key) }
            }
            state.acks[reader] = newest
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters where waiter.reader == reader && newest.covers(waiter.wanted) {
                state.waiters[id] = nil
                woken.append(waiter.continuation)
            }
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once `reader` has confirmed `wanted`, or at `deadline`, whichever comes first.
    func wait(for reader: String, toConfirm wanted: Ack, until deadline: CacheClock.Instant, on clock: CacheClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.confirmation(from: reader, of: wanted) }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func confirmation(from reader: String, of wanted: Ack) async {
        let id = state.withLockedValue { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waits = state.withLockedValue { state in
                    // Cancelled before it could wait (the deadline passed first): nothing to wait for.
                    if Task.isCancelled { return false }
                    if let ack = state.acks[reader], ack.covers(wanted) { return false }
                    state.waiters[id] = Waiter(reader: reader, wanted: wanted, continuation: continuation)
                    return true
                }
                if !waits { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }
}
