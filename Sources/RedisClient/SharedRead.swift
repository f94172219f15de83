import NIOConcurrencyHelpers
import NIOCore

/// A read-only pipeline whose reply callers share when they ask at the same time.
///
/// Every caller gets the reply of a round trip that was sent after it asked, so it sees everything Redis had
/// acknowledged before it asked, as if it had sent its own. Callers who ask while a round trip is in flight wait
/// for the next one, which the first of them sends for all of them. Under load this turns many small round trips
/// (the cache's generation check on every hit) into a few.
///
/// Callers share only with callers on the same event loop, so a reply is handed over on the thread that already
/// runs them; callers off the loops share one queue of their own.
public final class SharedRead: Sendable {
    private typealias Waiter = UnsafeContinuation<Turn, Never>

    private enum Turn {
        /// Send the next round trip, for these callers too.
        case lead(followers: [Waiter])
        case reply(Result<[RESPValue], RedisError>)
    }

    private struct Queue {
        var inFlight = false
        /// Callers who asked while a round trip was in flight: the next one is theirs.
        var waiting: [Waiter] = []
    }

    private let client: RedisClient
    private let commands: [[RedisArgument]]
    private let loops: [any EventLoop]
    /// One per loop, then one for callers off the loops.
    private let queues: [NIOLockedValueBox<Queue>]

    public init(client: RedisClient, pipeline commands: [[RedisArgument]]) {
        self.client = client
        self.commands = commands
        self.loops = client.loops
        self.queues = (0...loops.count).map { _ in NIOLockedValueBox(Queue()) }
    }

    /// The replies, in order, from a round trip sent after this call began.
    public func read() async throws(RedisError) -> [RESPValue] {
        let queue = currentQueue()
        let followers: [Waiter]
        let leadsNow = queue.withLockedValue { queue in
            if queue.inFlight { return false }
            queue.inFlight = true
            return true
        }
        if leadsNow {
            followers = []
        } else {
            let turn = await withUnsafeContinuation { (waiter: Waiter) in
                let leads = queue.withLockedValue { queue in
                    if queue.inFlight {
                        queue.waiting.append(waiter)
                        return false
                    }
                    queue.inFlight = true
                    return true
                }
                if leads { waiter.resume(returning: .lead(followers: [])) }
            }
            switch turn {
            case .reply(let reply): return try reply.get()
            case .lead(let waiting): followers = waiting
            }
        }

        // Every follower asked before this send.
        let reply: Result<[RESPValue], RedisError>
        do {
            reply = .success(try await client.send(pipeline: commands))
        } catch {
            reply = .failure(error)
        }
        for follower in followers { follower.resume(returning: .reply(reply)) }
        // Those who asked meanwhile get the next round trip, sent by the first of them.
        let next = queue.withLockedValue { queue in
            let waiting = queue.waiting
            queue.waiting = []
            if waiting.isEmpty { queue.inFlight = false }
            return waiting
        }
        if let leader = next.first { leader.resume(returning: .lead(followers: Array(next.dropFirst()))) }
        return try reply.get()
    }

    private func currentQueue() -> NIOLockedValueBox<Queue> {
        queues[loops.indexOfCurrentLoop ?? loops.count]
    }
}
