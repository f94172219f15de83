import NIOConcurrencyHelpers

/// Ties every hit, from either tier, to the store's own versions, so that a write no process could announce in Redis
/// still ends hits on older pages everywhere within one lease.
///
/// The case this exists for is a partial partition: a process cut off from Redis commits a write (the store bumps
/// its versions by trigger in the write's transaction, see ``StoreVersions``) but cannot bump the generation, while
/// other processes still reach Redis and would go on serving the old generation's pages, from Redis and from memory,
/// for as long as they like. So a process serves a hit only while a *coverage check* that began less than nine
/// tenths of a lease ago succeeded: one that read the store's versions and made sure Redis covers them, invalidating
/// on the cut-off writer's behalf when it does not (``CacheScript/publish``, which bumps only when the store is
/// ahead). The cut-off writer waits out a whole lease before it answers (``CacheLease/waitOutLeases()``), so by then
/// every hit anywhere rests on a check that began after its commit.
///
/// Checks run every fifth of a lease in the background (``RedisResponseCache/keepCurrent()``). A hit that finds the
/// last one too old (a process that has just started, or a loop too busy to run it) runs one itself, shared with
/// every hit that arrived before it began: that check, too, read the store after they arrived.
final class StoreCoverage: Sendable {
    private struct Check {
        let id: Int
        /// When it began, or nil while it waits for the one before it. Taken before the store is read, so a caller
        /// that arrived at or before it is covered by what it reads.
        var started: CacheClock.Instant?
        let task: Task<Void, any Error>
        var finished = false
    }

    private struct State {
        var nextID = 0
        /// The newest check that began, running or done.
        var running: Check?
        /// The one callers join while `running` began before they arrived; it begins when `running` ends.
        var queued: Check?
    }

    private let state = NIOLockedValueBox(State())
    private let clock: CacheClock

    init(clock: CacheClock) {
        self.clock = clock
    }

    /// Returns once a check that began at or after `arrival` has ended, running `check` (given when it began) unless
    /// one that did is running or queued; throws what that check threw. Callers who arrive while a check runs share
    /// the next one, as ``SharedRead``'s do.
    func check(
        arrivedAt arrival: CacheClock.Instant,
        _ check: @escaping @Sendable (_ started: CacheClock.Instant) async throws -> Void
    ) async throws {
        let task = state.withLockedValue { state -> Task<Void, any Error> in
            if let running = state.running, let started = running.started, started >= arrival { return running.task }
            if let queued = state.queued { return queued.task }
            let id = state.nextID
            state.nextID += 1
            guard let running = state.running, !running.finished else {
                let started = clock.now
                let task = Task {
                    defer { self.finish(id) }
                    try await check(started)
                }
                state.running = Check(id: id, started: started, task: task)
                return task
            }
            // Waits for the running one, so the store is never read by two checks of one process at once.
            let task = Task {
                _ = try? await running.task.value
                let started = self.begin(id)
                defer { self.finish(id) }
                try await check(started)
            }
            state.queued = Check(id: id, started: nil, task: task)
            return task
        }
        try await task.value
    }

    private func begin(_ id: Int) -> CacheClock.Instant {
        state.withLockedValue { state in
            let now = clock.now
            if var queued = state.queued, queued.id == id {
                queued.started = now
                state.running = queued
                state.queued = nil
            }
            return now
        }
    }

    private func finish(_ id: Int) {
        state.withLockedValue { state in
            if state.running?.id == id { state.running?.finished = true }
        }
    }
}
