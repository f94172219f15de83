import NIOCore
import NIOPosix

/// Runs each task step on the event loop of the thread that woke the task: a request that arrives on a loop, reads
/// Redis over a connection on that loop (see the Redis pool) and writes its answer there stays on one thread.
///
/// Under Swift's default executor a cache hit crossed threads four times: from the connection's loop to a pool
/// thread, to the Redis connection's loop, back to a pool thread, back to the connection's loop. Each crossing is a
/// wake-up and a context switch, which were the largest single cost in the profile (`docs/benchmark/profile.md`).
///
/// Everything that runs under it must never block: it is an event loop. bcrypt runs on NIO's thread pool and SQLite
/// on GRDB's queues, so handlers only await them. A step woken from a thread that is not an event loop (GRDB's
/// queue, the thread pool) goes to the group's next loop.
public final class EventLoopAffineExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup

    public init(group: MultiThreadedEventLoopGroup = .singleton) {
        self.group = group
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        loop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// Runs `body`, and every child task it starts (the HTTP server's connections among them), on event loops with
/// ``EventLoopAffineExecutor``.
public func withEventLoopAffinity<Value>(
    group: MultiThreadedEventLoopGroup = .singleton,
    _ body: () async throws -> Value
) async rethrows -> Value {
    try await withTaskExecutorPreference(EventLoopAffineExecutor(group: group), operation: body)
}
