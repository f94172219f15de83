import BookcatCore
import NIOConcurrencyHelpers

/// Runs at most one fill per entry key at a time in this process: concurrent misses for the same key wait for
/// the first one's result instead of each querying the database.
///
/// Its keys include the cache generation and the change count the request read, so a fill that began before a
/// write is never shared with a request that arrived after the write's response.
final class FillCoalescer: Sendable {
    private let inFlight = NIOLockedValueBox<[String: Task<CachedBody, any Error>]>([:])
    private let waiting = NIOLockedValueBox(0)

    /// How many callers are waiting for a fill right now, leaders included: what lets a test know every request
    /// has joined before it lets the fill finish, instead of sleeping and hoping.
    var callersWaiting: Int { waiting.withLockedValue { $0 } }

    /// How many fills are running now (one per entry key at most).
    var inFlightCount: Int { inFlight.withLockedValue { $0.count } }

    /// The body for `key`, and whether this caller ran the fill (and so should store it).
    func run(_ key: String, fill: @escaping @Sendable () async throws -> CachedBody) async throws -> (body: CachedBody, ranFill: Bool) {
        let (task, isLeader) = inFlight.withLockedValue { inFlight -> (Task<CachedBody, any Error>, Bool) in
            if let existing = inFlight[key] { return (existing, false) }
            let task = Task { try await fill() }
            inFlight[key] = task
            return (task, true)
        }
        waiting.withLockedValue { $0 += 1 }
        defer {
            waiting.withLockedValue { $0 -= 1 }
            if isLeader { _ = inFlight.withLockedValue { $0.removeValue(forKey: key) } }
        }
        return (try await task.value, isLeader)
    }
}
