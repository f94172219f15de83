import Synchronization

/// Work that callers arriving together share: each caller returns once a round that began after it arrived has
/// ended, and one round runs at a time. Callers who arrive while a round runs wait for the next, which begins when
/// it ends, for all of them at once (as `SharedRead` does for Redis round trips).
///
/// What it is for: after a write, a process reads the store's versions and publishes them to the cache before the
/// write is answered. A round that began after the write committed reads a version that covers it, so concurrent
/// writers can share one read and one publish instead of each paying both: 16 concurrent creates cost two rounds.
final class SharedRounds: Sendable {
    private struct Round {
        let id: Int
        let task: Task<Void, Never>
    }

    private struct State {
        var nextID = 0
        var running: Round?
        /// Begins when `running` ends; everyone who arrives meanwhile joins it.
        var queued: Round?
    }

    private let state = Mutex(State())

    /// Returns once a round of `work` that began after this call has ended (run by this caller or shared).
    func join(_ work: @escaping @Sendable () async -> Void) async {
        let task = state.withLock { state -> Task<Void, Never> in
            if let queued = state.queued { return queued.task }
            let id = state.nextID
            state.nextID += 1
            guard let running = state.running else {
                let task = Task {
                    await work()
                    self.end(id)
                }
                state.running = Round(id: id, task: task)
                return task
            }
            let task = Task {
                await running.task.value
                self.begin(id)
                await work()
                self.end(id)
            }
            state.queued = Round(id: id, task: task)
            return task
        }
        await task.value
    }

    private func begin(_ id: Int) {
        state.withLock { state in
            guard let queued = state.queued, queued.id == id else { return }
            state.running = queued
            state.queued = nil
        }
    }

    private func end(_ id: Int) {
        state.withLock { state in
            if state.running?.id == id { state.running = nil }
        }
    }
}
